package fulltext

import (
	"slices"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/registry/catalog"
)

func TestTerms(t *testing.T) {
	for text, want := range map[string][]string{
		"":                              nil,
		"  *  ":                         nil,
		`"weather"`:                     {"weather"},
		"c++":                           {"c"},
		"foo:bar":                       {"foo", "bar"},
		"-x":                            {"x"},
		"Weather weather":               {"weather"},
		"Café NOËL":                     {"cafe", "noel"},
		"ﬁle":                           {"file"},
		"getForecast":                   {"getforecast"},
		"get_forecast v1.2":             {"get", "forecast", "v1", "2"},
		"NEAR(a, b) AND NOT c":          {"near", "a", "b", "and", "not", "c"},
		"日本語":                           {"日本語"},
		strings.Repeat("x", 65) + " ok": {"ok"},
	} {
		if got := Terms(text); !slices.Equal(got, want) {
			t.Errorf("Terms(%q) = %q, want %q", text, got, want)
		}
	}
	if got := Terms(strings.Repeat("a b c d e f g h i j k l m n o p q r s t ", 3)); len(got) != maxTerms {
		t.Errorf("Terms of 20 distinct words: %d terms, want at most %d", len(got), maxTerms)
	}
}

func TestNew(t *testing.T) {
	d := New(&catalog.Version{
		Repository:      "acme/weather-station",
		Name:            "weather-station",
		DisplayName:     "Weather Station",
		Description:     "Weather, weather everywhere",
		LongDescription: "Long text",
		Keywords:        []string{"Meteorology", "rain"},
		Tools:           []catalog.Tool{{Name: "getHTTPForecast", Description: "Fetches it"}, {Name: "list_alerts"}},
	})
	want := Document{
		Name:        "acme weather station",
		DisplayName: "weather station",
		Tools:       "gethttpforecast get http forecast list alerts",
		Keywords:    "meteorology rain",
		Description: "weather weather everywhere",
		Details:     "long text fetches it",
	}
	if d != want {
		t.Errorf("New:\ngot  %+v\nwant %+v", d, want)
	}
}
