package actions

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/sreevishnu07/stevedore/version"
)

// Env is the GitHub Actions context as the runner's environment gives it.
// The CLI fills it from the GITHUB_* variables; this package interprets
// it (and reads the event payload file it names).
type Env struct {
	Actions     bool   // GITHUB_ACTIONS=true
	EventName   string // GITHUB_EVENT_NAME
	Ref         string // GITHUB_REF
	SHA         string // GITHUB_SHA
	HeadRef     string // GITHUB_HEAD_REF
	BaseRef     string // GITHUB_BASE_REF
	EventPath   string // GITHUB_EVENT_PATH
	Repository  string // GITHUB_REPOSITORY: owner/name
	ServerURL   string // GITHUB_SERVER_URL
	WorkflowRef string // GITHUB_WORKFLOW_REF: owner/name/.github/workflows/f.yml@ref
}

// server is the GitHub server, github.com unless GitHub Enterprise says
// otherwise.
func (e Env) server() string {
	if s := strings.TrimRight(e.ServerURL, "/"); s != "" {
		return s
	}
	return "https://github.com"
}

// WorkflowIdentity is the workflow run's identity: the certificate identity
// of a keyless signature it makes, and the builder of its provenance. ""
// outside Actions.
func (e Env) WorkflowIdentity() string {
	if e.WorkflowRef == "" {
		return ""
	}
	return e.server() + "/" + e.WorkflowRef
}

// RepoURL is the repository's URL ("" outside Actions).
func (e Env) RepoURL() string {
	if e.Repository == "" {
		return ""
	}
	return e.server() + "/" + e.Repository
}

// Event is the event that started the run, for tag rules. Outside Actions
// it is the zero Event, and the version package derives branch and commit
// from git itself.
func (e Env) Event() (version.Event, error) {
	if !e.Actions {
		return version.Event{}, nil
	}
	ev := version.Event{Name: e.EventName, Ref: e.Ref, SHA: e.SHA, HeadRef: e.HeadRef, BaseRef: e.BaseRef}
	// refs/pull/12/merge carries the PR number even when the event payload
	// is not readable.
	if rest, ok := strings.CutPrefix(ev.Ref, "refs/pull/"); ok {
		if n, err := strconv.Atoi(strings.SplitN(rest, "/", 2)[0]); err == nil {
			ev.PRNumber = n
		}
	}
	if e.EventPath == "" {
		return ev, nil
	}
	data, err := os.ReadFile(e.EventPath)
	if err != nil {
		return ev, fmt.Errorf("reading GitHub event payload %s: %w", e.EventPath, err)
	}
	var payload struct {
		Number      int    `json:"number"`
		BaseRef     string `json:"base_ref"`
		PullRequest struct {
			Number int `json:"number"`
			Head   struct {
				SHA string `json:"sha"`
			} `json:"head"`
			Base struct {
				Ref string `json:"ref"`
			} `json:"base"`
		} `json:"pull_request"`
		Repository struct {
			DefaultBranch string `json:"default_branch"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(data, &payload); err != nil {
		return ev, fmt.Errorf("reading GitHub event payload %s: %w", e.EventPath, err)
	}
	if payload.PullRequest.Number != 0 {
		ev.PRNumber = payload.PullRequest.Number
	} else if ev.PRNumber == 0 && payload.Number != 0 && strings.HasPrefix(ev.Name, "pull_request") {
		ev.PRNumber = payload.Number
	}
	if ev.BaseRef == "" {
		ev.BaseRef = payload.PullRequest.Base.Ref
	}
	ev.PushBaseRef = payload.BaseRef
	ev.PRHeadSHA = payload.PullRequest.Head.SHA
	ev.DefaultBranch = payload.Repository.DefaultBranch
	return ev, nil
}

// RepoInfo describes the repository for the org.opencontainers.image.*
// labels from the repository name, the server and the event payload's
// repository (description and license travel in every push payload), with
// no API call. Outside Actions it is empty: no source/url/title labels.
func (e Env) RepoInfo() version.RepoInfo {
	info := version.RepoInfo{URL: e.RepoURL()}
	if r := e.Repository; r != "" {
		info.Name = r[strings.LastIndex(r, "/")+1:]
	}
	if e.EventPath == "" {
		return info
	}
	data, err := os.ReadFile(e.EventPath)
	if err != nil {
		return info // Event reports an unreadable payload
	}
	var payload struct {
		Repository struct {
			Name        string `json:"name"`
			Description string `json:"description"`
			HTMLURL     string `json:"html_url"`
			License     struct {
				SPDXID string `json:"spdx_id"`
			} `json:"license"`
		} `json:"repository"`
	}
	if json.Unmarshal(data, &payload) != nil {
		return info
	}
	p := payload.Repository
	info.Description = p.Description
	if p.License.SPDXID != "NOASSERTION" {
		info.License = p.License.SPDXID
	}
	if p.Name != "" {
		info.Name = p.Name
	}
	if p.HTMLURL != "" {
		info.URL = p.HTMLURL
	}
	return info
}
