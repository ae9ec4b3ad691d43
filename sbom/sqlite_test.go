package sbom

import (
	"database/sql"
	"slices"
	"testing"
)

// TestSQLiteDriver: syft's RPM cataloger needs a driver named "sqlite".
func TestSQLiteDriver(t *testing.T) {
	if !slices.Contains(sql.Drivers(), "sqlite") {
		t.Errorf("sql.Drivers() = %v, want sqlite registered", sql.Drivers())
	}
}
