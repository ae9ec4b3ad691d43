package sbom

// syft's RPM cataloger reads the sqlite rpmdb of current Fedora/RHEL images
// through database/sql and fails the whole catalog when no "sqlite" driver is
// registered; syft's own binary and examples link this pure-Go driver for it.
// It lives here, not in cmd, because the default image cataloger set this
// package promises includes rpm.
import _ "modernc.org/sqlite"
