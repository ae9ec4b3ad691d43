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

// repoInfo describes the repository for the org.opencontainers.image.*
// labels from GITHUB_REPOSITORY, GITHUB_SERVER_URL and the event payload's
// repository (description and license travel in every push payload), with
// no API call. Outside Actions it is empty: no source/url/title labels.
func repoInfo(getenv env) version.RepoInfo {
	info := version.RepoInfo{URL: repoURL(getenv)}
	if r := getenv("GITHUB_REPOSITORY"); r != "" {
		info.Name = r[strings.LastIndex(r, "/")+1:]
	}
	path := getenv("GITHUB_EVENT_PATH")
	if path == "" {
		return info
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return info // githubEvent reports an unreadable payload
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
