package num

import "testing"

func TestFormats(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{Percent(0.05, -1), "5%"}, {Percent(0.125, -1), "12.5%"}, {Percent(0.07, -1), "7%"}, {Percent(0.2481, -1), "24.81%"},
		{Percent(0.03, 2), "3.00%"}, {Percent(0, 2), "0.00%"}, {Percent(0.0125, 1), "1.2%"},
		{Points(0.005, -1), "0.5pp"}, {Points(0.029, 2), "2.90pp"},
		{Signed(0.25, false), "+25.0%"}, {Signed(-0.248, false), "-24.8%"}, {Signed(0.029, true), "+2.90pp"},
		{Signed(-0.0, false), "+0.0%"}, {Signed(0, true), "+0.00pp"},
		{PValue(0.00794), "0.008"}, {PValue(0.0001), "<0.001"}, {PValue(1), "1.000"},
		{Value(752), "752"}, {Value(12.04), "12.0"}, {Value(1.234), "1.23"}, {Value(0), "0.00"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
