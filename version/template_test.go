package version

import (
	"testing"
	"time"
	_ "time/tzdata" // tz= tests must not depend on the machine's zoneinfo
)

func TestExpand(t *testing.T) {
	d := tmplData{
		vars:       map[string]string{"branch": "main", "version": "1.2.3"},
		now:        time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		commitTime: time.Date(2020, 12, 31, 23, 0, 0, 0, time.UTC),
	}
	cases := []struct{ in, want string }{
		{"plain", "plain"},
		{"{{branch}}-{{ version }}", "main-1.2.3"},
		{"{{date 'YYYYMMDD'}}", "20250102"},
		{"{{date \"YYYY-MM-DD-HHmmss\"}}", "2025-01-02-030405"},
		{"{{date 'YY.MM.DD hh'}}", "25.01.02 03"},
		{"{{commit_date 'YYYYMMDD'}}", "20201231"},
		{"{{date 'YYYYMMDD-HH' tz='Asia/Tokyo'}}", "20250102-12"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := expand(tc.in, d)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("expand(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	for _, bad := range []string{"{{nope}}", "{{branch", "{{date}}", "{{date 'Y' zone='x'}}", "{{branch extra}}"} {
		if _, err := expand(bad, d); err == nil {
			t.Errorf("expand(%q) succeeded", bad)
		}
	}
}
