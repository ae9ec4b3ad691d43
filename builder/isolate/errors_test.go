package isolate

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestTailBuffer(t *testing.T) {
	tb := &tailBuffer{max: 8}
	for _, s := range []string{"abc", "defg", "hijkl"} {
		tb.Write([]byte(s))
	}
	if got := string(tb.bytes()); got != "efghijkl" {
		t.Errorf("tail = %q", got)
	}
	tb.Write([]byte("0123456789"))
	if got := string(tb.bytes()); got != "23456789" {
		t.Errorf("tail after a long write = %q", got)
	}
	zero := &tailBuffer{}
	if n, _ := zero.Write([]byte("x")); n != 1 || len(zero.bytes()) != 0 {
		t.Error("zero-size tail kept data")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("closed") }

func TestOutputsIgnoreCallerWriteErrors(t *testing.T) {
	tail := &tailBuffer{max: 100}
	out, errw := outputs(&Spec{Stdout: failingWriter{}}, tail)
	if _, err := out.Write([]byte("a")); err != nil {
		t.Errorf("write error surfaced: %v", err)
	}
	errw.Write([]byte("b"))
	if string(tail.bytes()) != "ab" {
		t.Errorf("tail = %q", tail.bytes())
	}
	var buf bytes.Buffer
	o1, o2 := outputs(&Spec{Stdout: &buf, Stderr: &buf}, tail)
	if o1 != o2 {
		t.Error("same caller writer did not share one teeWriter")
	}
	if e := (&ExitError{Code: 3}).Error(); !strings.Contains(e, "exit code 3") {
		t.Errorf("ExitError text %q", e)
	}
}
