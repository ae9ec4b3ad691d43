package dockerfile

import (
	"fmt"
	"testing"
)

func TestParsePort(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"80", "[80/tcp]"},
		{"80/tcp", "[80/tcp]"},
		{"53/UDP", "[53/udp]"},
		{"132/sctp", "[132/sctp]"},
		{"8000-8002", "[8000/tcp 8001/tcp 8002/tcp]"},
		{"7000-7000/udp", "[7000/udp]"},
		{"8080:80", "[80/tcp]"},
		{"127.0.0.1:8080:80/udp", "[80/udp]"},
		{"[::1]:8080:80", "[80/tcp]"},
		{"80/quic", "error"},
		{"", "error"},
		{"/tcp", "error"},
		{"70000", "error"},
		{"90-80", "error"},
		{"x", "error"},
		{"1.2.3:80:80", "error"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ps, err := parsePort(tt.in)
			got := fmt.Sprint(ps)
			if err != nil {
				got = "error"
			}
			if got != tt.want {
				t.Errorf("parsePort(%q) = %s (%v), want %s", tt.in, got, err, tt.want)
			}
		})
	}
}
