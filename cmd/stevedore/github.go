package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/sreevishnu07/stevedore/version"
)

// githubEvent reads the GitHub Actions context from the environment. Outside
// Actions (GITHUB_ACTIONS unset) it returns the zero Event, and the version
// package derives branch and commit from git itself.
func githubEvent(getenv env) (version.Event, error) {
	if getenv("GITHUB_ACTIONS") != "true" {
		return version.Event{}, nil
	}
	ev := version.Event{
		Name:    getenv("GITHUB_EVENT_NAME"),
		Ref:     getenv("GITHUB_REF"),
		SHA:     getenv("GITHUB_SHA"),
		HeadRef: getenv("GITHUB_HEAD_REF"),
		BaseRef: getenv("GITHUB_BASE_REF"),
	}
	// refs/pull/12/merge carries the PR number even when the event payload
	// is not readable.
	if rest, ok := strings.CutPrefix(ev.Ref, "refs/pull/"); ok {
		if n, err := strconv.Atoi(strings.SplitN(rest, "/", 2)[0]); err == nil {
			ev.PRNumber = n
		}
	}
	path := getenv("GITHUB_EVENT_PATH")
	if path == "" {
		return ev, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return ev, fmt.Errorf("reading GitHub event payload %s: %w", path, err)
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
		return ev, fmt.Errorf("reading GitHub event payload %s: %w", path, err)
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

// metadataEnv reads metadata-action's DOCKER_METADATA_* switches.
func metadataEnv(getenv env) (version.MetadataEnv, error) {
	m, err := version.ParseMetadataEnv(func(k string) string { return getenv(k) })
	if err != nil {
		return m, usageErrorf("%v", err)
	}
	return m, nil
}
