package main

import (
	"github.com/sreevishnu07/stevedore/actions"
	"github.com/sreevishnu07/stevedore/version"
)

// githubEnv reads the GitHub Actions context variables; the actions
// package interprets them.
func githubEnv(getenv env) actions.Env {
	return actions.Env{
		Actions:     getenv("GITHUB_ACTIONS") == "true",
		EventName:   getenv("GITHUB_EVENT_NAME"),
		Ref:         getenv("GITHUB_REF"),
		SHA:         getenv("GITHUB_SHA"),
		HeadRef:     getenv("GITHUB_HEAD_REF"),
		BaseRef:     getenv("GITHUB_BASE_REF"),
		EventPath:   getenv("GITHUB_EVENT_PATH"),
		Repository:  getenv("GITHUB_REPOSITORY"),
		ServerURL:   getenv("GITHUB_SERVER_URL"),
		WorkflowRef: getenv("GITHUB_WORKFLOW_REF"),
	}
}

// githubEvent is the event that started the run (zero outside Actions).
func githubEvent(getenv env) (version.Event, error) { return githubEnv(getenv).Event() }

// metadataEnv reads metadata-action's DOCKER_METADATA_* switches.
func metadataEnv(getenv env) (version.MetadataEnv, error) {
	m, err := version.ParseMetadataEnv(func(k string) string { return getenv(k) })
	if err != nil {
		return m, usageErrorf("%v", err)
	}
	return m, nil
}
