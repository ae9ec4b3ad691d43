package dockerfile

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// applyExpose mirrors dispatchExpose: each word is expanded (and may split
// into several), ranges are unrolled, protocols lower-cased with tcp as the
// default, and a host part (ip:host:container) is accepted but ignored.
func (s *State) applyExpose(c *instructions.ExposeCommand) (Step, error) {
	lex := shell.NewLex(s.g.escape)
	var words []string
	for _, p := range c.Ports {
		ws, err := lex.ProcessWords(p, s.env)
		if err != nil {
			return Step{}, err
		}
		words = append(words, ws...)
	}
	var ports []string
	for _, w := range words {
		ps, err := parsePort(w)
		if err != nil {
			return Step{}, fmt.Errorf("invalid port %q: %w: write PORT[-PORT][/tcp|udp|sctp]", w, err)
		}
		ports = append(ports, ps...)
	}
	if s.Config.ExposedPorts == nil {
		s.Config.ExposedPorts = map[string]struct{}{}
	}
	for _, p := range ports {
		s.Config.ExposedPorts[p] = struct{}{}
	}
	return history(fmt.Sprintf("EXPOSE %v", ports), false), nil
}

// parsePort normalizes one EXPOSE word into "PORT/proto" entries, as
// docker does: "80" → 80/tcp, "53/UDP" → 53/udp, "8000-8001" → two ports.
func parsePort(raw string) ([]string, error) {
	ip, hostPort, containerPort := splitPortParts(raw)
	port, proto, _ := strings.Cut(containerPort, "/")
	if port == "" {
		return nil, errors.New("no port specified")
	}
	switch strings.ToLower(proto) {
	case "":
		proto = "tcp"
	case "tcp", "udp", "sctp":
	default:
		return nil, errors.New("invalid proto: " + proto)
	}
	if strings.HasPrefix(ip, "[") {
		if h, _, err := net.SplitHostPort(ip + ":"); err == nil {
			ip = h
		}
	}
	if ip != "" && net.ParseIP(ip) == nil {
		return nil, errors.New("invalid IP address: " + ip)
	}
	start, end, err := parsePortRange(port)
	if err != nil {
		return nil, err
	}
	if hostPort != "" {
		hs, he, err := parsePortRange(hostPort)
		if err != nil {
			return nil, fmt.Errorf("invalid hostPort %s: %w", hostPort, err)
		}
		if end-start != he-hs && end != start {
			return nil, fmt.Errorf("invalid ranges specified for container and host Ports: %s and %s", port, hostPort)
		}
	}
	out := make([]string, 0, end-start+1)
	for p := start; p <= end; p++ {
		out = append(out, strconv.Itoa(p)+"/"+strings.ToLower(proto))
	}
	return out, nil
}

func splitPortParts(raw string) (ip, hostPort, containerPort string) {
	parts := strings.Split(raw, ":")
	switch n := len(parts); n {
	case 1:
		return "", "", parts[0]
	case 2:
		return "", parts[0], parts[1]
	default:
		return strings.Join(parts[:n-2], ":"), parts[n-2], parts[n-1]
	}
}

func parsePortRange(s string) (int, int, error) {
	a, b, isRange := strings.Cut(s, "-")
	start, err := parsePortNumber(a)
	if err != nil {
		return 0, 0, err
	}
	if !isRange || a == b {
		return start, start, nil
	}
	end, err := parsePortNumber(b)
	if err != nil {
		return 0, 0, err
	}
	if end < start {
		return 0, 0, errors.New("invalid port range: " + s)
	}
	return start, end, nil
}

func parsePortNumber(s string) (int, error) {
	if s == "" {
		return 0, errors.New("empty port")
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("invalid port number %q", s)
	}
	if n < 0 || n > 65535 {
		return 0, fmt.Errorf("port %d out of range (0–65535)", n)
	}
	return n, nil
}
