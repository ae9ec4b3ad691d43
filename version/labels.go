package version

import "time"

// RepoInfo describes the source repository for the OCI labels; the CLI fills
// it from the CI context (GITHUB_SERVER_URL, GITHUB_REPOSITORY and the event
// payload's repository), never from the network.
type RepoInfo struct {
	Name        string // org.opencontainers.image.title
	Description string
	URL         string // the repository's web address: source and url
	License     string // SPDX identifier
}

// OCIAnnotations returns the org.opencontainers.image.* keys metadata-action
// writes, as labels and annotations. version is the image's main tag and
// revision the commit. created is the commit time, not the time of the run,
// so the same commit gives the same image digest. Empty values are left out.
func OCIAnnotations(info RepoInfo, version, revision string, created time.Time) map[string]string {
	out := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			out["org.opencontainers.image."+k] = v
		}
	}
	set("title", info.Name)
	set("description", info.Description)
	set("url", info.URL)
	set("source", info.URL)
	set("licenses", info.License)
	set("version", version)
	set("revision", revision)
	if !created.IsZero() {
		set("created", created.UTC().Format("2006-01-02T15:04:05.000Z")) // JavaScript's toISOString, as metadata-action
	}
	return out
}
