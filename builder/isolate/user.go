package isolate

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
)

// execUser is a Spec.User resolved against the root filesystem.
type execUser struct {
	UID, GID int
	Groups   []int // supplementary groups
	Home     string
}

// resolveUser resolves spec ("", "name", "uid", "name:group", "uid:gid") the
// way docker (moby/sys/user) does: a numeric uid missing from /etc/passwd is
// accepted with gid 0 and home "/"; an unknown name is an error; supplementary
// groups come from /etc/group only when no group was given.
//
// As BuildKit's executor, the primary group always leads the supplementary
// groups, so `id` in a RUN step prints the same groups as under BuildKit.
func resolveUser(root, spec string) (*execUser, error) {
	u, err := lookupExecUser(root, spec)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(u.Groups, u.GID) {
		u.Groups = append([]int{u.GID}, u.Groups...)
	}
	return u, nil
}

func lookupExecUser(root, spec string) (*execUser, error) {
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	if userPart == "" {
		userPart = "0"
	}
	passwd, err := readColonFile(root, "/etc/passwd")
	if err != nil {
		return nil, err
	}
	u := &execUser{Home: "/"}
	name := ""
	if n, err := strconv.Atoi(userPart); err == nil {
		if n < 0 {
			return nil, fmt.Errorf("resolving user %q: negative uid", spec)
		}
		u.UID = n
		for _, f := range passwd {
			if len(f) >= 6 && f[2] == userPart {
				name = f[0]
				u.GID, _ = strconv.Atoi(f[3])
				u.Home = f[5]
				break
			}
		}
	} else {
		found := false
		for _, f := range passwd {
			if len(f) >= 6 && f[0] == userPart {
				uid, err1 := strconv.Atoi(f[2])
				gid, err2 := strconv.Atoi(f[3])
				if err1 != nil || err2 != nil {
					return nil, fmt.Errorf("resolving user %q: malformed /etc/passwd entry for %s", spec, userPart)
				}
				name, u.UID, u.GID, u.Home, found = f[0], uid, gid, f[5], true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("resolving user %q: no user named %q in the image's /etc/passwd", spec, userPart)
		}
	}
	if u.Home == "" {
		u.Home = "/"
	}
	if hasGroup && groupPart == "" {
		return nil, fmt.Errorf("resolving user %q: empty group", spec)
	}
	group, err := readColonFile(root, "/etc/group")
	if err != nil {
		return nil, err
	}
	if hasGroup {
		if n, err := strconv.Atoi(groupPart); err == nil {
			if n < 0 {
				return nil, fmt.Errorf("resolving user %q: negative gid", spec)
			}
			u.GID = n
			return u, nil
		}
		for _, f := range group {
			if len(f) >= 3 && f[0] == groupPart {
				gid, err := strconv.Atoi(f[2])
				if err != nil {
					return nil, fmt.Errorf("resolving user %q: malformed /etc/group entry for %s", spec, groupPart)
				}
				u.GID = gid
				return u, nil
			}
		}
		return nil, fmt.Errorf("resolving user %q: no group named %q in the image's /etc/group", spec, groupPart)
	}
	if name == "" {
		return u, nil
	}
	seen := map[int]bool{u.GID: true}
	for _, f := range group {
		if len(f) < 4 {
			continue
		}
		for _, m := range strings.Split(f[3], ",") {
			if strings.TrimSpace(m) != name {
				continue
			}
			if gid, err := strconv.Atoi(f[2]); err == nil && !seen[gid] {
				seen[gid] = true
				u.Groups = append(u.Groups, gid)
			}
		}
	}
	return u, nil
}

// readColonFile reads an /etc/passwd-style file of the root filesystem. A
// missing file is empty, as for docker: images without /etc/passwd run as
// numeric ids.
func readColonFile(root, p string) ([][]string, error) {
	hp, err := resolveInRoot(root, p)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(hp)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s of the image: %w", p, err)
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.Split(line, ":"))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s of the image: %w", p, err)
	}
	return out, nil
}

// LookupUser resolves a USER or --chown spec ("name", "uid", "name:group",
// "uid:gid") against root's /etc/passwd and /etc/group, as a RUN step would,
// so COPY --chown and WORKDIR give files the same owner RUN would.
func LookupUser(root, spec string) (uid, gid int, err error) {
	u, err := resolveUser(root, spec)
	if err != nil {
		return 0, 0, err
	}
	return u.UID, u.GID, nil
}

// LookupChown resolves a COPY or ADD --chown spec as BuildKit's file
// operations do, which is laxer than a RUN user: a numeric user is its own
// group and is not looked up; a name missing from /etc/passwd (or an image
// without one) is 0:0; a group name missing from /etc/group leaves the
// user's group. Only malformed entries and unreadable files are errors.
func LookupChown(root, spec string) (uid, gid int, err error) {
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	if n, ok := chownID(userPart); ok {
		uid, gid = n, n
	} else {
		passwd, err := readColonFile(root, "/etc/passwd")
		if err != nil {
			return 0, 0, err
		}
		for _, f := range passwd {
			if len(f) >= 4 && f[0] == userPart {
				u, err1 := strconv.Atoi(f[2])
				g, err2 := strconv.Atoi(f[3])
				if err1 != nil || err2 != nil {
					return 0, 0, fmt.Errorf("resolving --chown=%s: malformed /etc/passwd entry for %s", spec, userPart)
				}
				uid, gid = u, g
				break
			}
		}
	}
	if !hasGroup {
		return uid, gid, nil
	}
	if n, ok := chownID(groupPart); ok {
		return uid, n, nil
	}
	group, err := readColonFile(root, "/etc/group")
	if err != nil {
		return 0, 0, err
	}
	for _, f := range group {
		if len(f) >= 3 && f[0] == groupPart {
			g, err := strconv.Atoi(f[2])
			if err != nil {
				return 0, 0, fmt.Errorf("resolving --chown=%s: malformed /etc/group entry for %s", spec, groupPart)
			}
			return uid, g, nil
		}
	}
	return uid, gid, nil
}

// chownID parses a numeric --chown part as BuildKit does: "root" is 0, and
// ids are 32-bit.
func chownID(s string) (int, bool) {
	if s == "root" {
		return 0, true
	}
	n, err := strconv.ParseInt(s, 10, 32)
	return int(n), err == nil
}
