package buildkit

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

func daemonAddr(t testing.TB) string {
	addr := os.Getenv("STEVEDORE_TEST_BUILDKIT_ADDR")
	if addr == "" {
		addr = "unix:///run/stevedore-buildkit/buildkitd.sock"
	}
	if _, err := os.Stat(strings.TrimPrefix(addr, "unix://")); strings.HasPrefix(addr, "unix://") && err != nil {
		t.Skipf("no buildkitd at %s (set STEVEDORE_TEST_BUILDKIT_ADDR): %v", addr, err)
	}
	return addr
}

func TestCheckRunningDaemon(t *testing.T) {
	a, err := ParseAddress(daemonAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Check(context.Background(), a, nil, 10*time.Second)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	defer c.Close()
	w, err := c.ListWorkers(context.Background())
	if err != nil || len(w) == 0 {
		t.Fatalf("workers = %v, %v; want at least one", w, err)
	}
}

func TestCheckUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "tcp://" + l.Addr().String()
	l.Close() // a port nobody listens on any more
	a, err := ParseAddress(addr)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Check(context.Background(), a, nil, 3*time.Second)
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), addr) {
		t.Fatalf("Check(%s) error = %v; want ErrUnreachable naming the address", addr, err)
	}
}
