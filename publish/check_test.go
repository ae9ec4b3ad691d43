package publish

import (
	"context"
	"errors"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/faultproxy"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// Credentials that may read but not push (a registry answering 403 to the
// upload start, as GHCR does for a token without write:packages) are
// refused with ErrDenied and the registry's fix; credentials that may push
// pass, and the upload the check opened is cancelled, so the repository
// holds nothing.
func TestCheckPush(t *testing.T) {
	ctx := context.Background()
	px := faultproxy.New(t, "http://"+registrytest.InProcess(t), nil)
	ref := mustRef(t, px.Host+"/acme/app")
	if err := CheckPush(ctx, ref); err != nil {
		t.Fatalf("a registry that accepts pushes: %v", err)
	}
	if n := px.Count(http.MethodDelete, faultproxy.KindBlobUpload); n != 1 {
		t.Errorf("the check's upload was cancelled %d times, want 1", n)
	}
	repo, _ := name.NewRepository(px.Host + "/acme/app")
	if tags, err := remote.List(repo); err == nil && len(tags) > 0 {
		t.Errorf("the check left tags: %v", tags)
	}

	px.SetRules(faultproxy.Rule{Method: http.MethodPost, Path: regexp.MustCompile(`/blobs/uploads/$`), Status: http.StatusForbidden})
	err := CheckPush(ctx, ref)
	if !errors.Is(err, ErrDenied) || !strings.Contains(err.Error(), px.Host+"/acme/app") || !strings.Contains(err.Error(), "HTTP 403") {
		t.Errorf("err = %v, want ErrDenied naming the repository and the status", err)
	}
	if strings.Contains(err.Error(), "DENIED") {
		t.Errorf("the registry's raw answer is shown: %v", err)
	}

	// A layout needs no check.
	if err := CheckPush(ctx, mustRef(t, "oci:"+t.TempDir())); err != nil {
		t.Errorf("layout: %v", err)
	}
}

// A registry that does not answer is said so, naming it, after the usual
// retries.
func TestCheckPushUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close() // nothing listens there now
	err = CheckPush(context.Background(), mustRef(t, host+"/acme/app"), WithRetry(2, time.Millisecond))
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), host+" does not answer") {
		t.Fatalf("err = %v, want an error naming %s", err, host)
	}
}
