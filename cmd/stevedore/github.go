package main

import (
	"github.com/sreevishnu07/stevedore/actions"
	"github.com/sreevishnu07/stevedore/pipeline"
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

// ciRun reads the variables that identify the CI run for the provenance.
// GitLab's are read only under GITLAB_CI, so that a stray CI_JOB_URL
// elsewhere is not recorded as the run.
func ciRun(getenv env) pipeline.CIRun {
	c := pipeline.CIRun{}
	if getenv("GITHUB_ACTIONS") == "true" {
		c.GitHubServerURL, c.GitHubRepository = getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY")
		c.GitHubRunID, c.GitHubRunAttempt = getenv("GITHUB_RUN_ID"), getenv("GITHUB_RUN_ATTEMPT")
	}
	if getenv("GITLAB_CI") == "true" {
		c.GitLabJobURL, c.GitLabProjectURL = getenv("CI_JOB_URL"), getenv("CI_PROJECT_URL")
	}
	return c
}
