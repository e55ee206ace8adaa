package wsdl

import "testing"

func TestIsGUID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f", true},
		{"6F1C2D3E-4B5A-4C6D-8E7F-0A1B2C3D4E5F", true},
		{"", false},
		{"6f1c2d3e4b5a4c6d8e7f0a1b2c3d4e5f", false},
		{"{6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f}", false},
		{"6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5g", false},
		{"6f1c2d3e-4b5a-4c6d-8e7f_0a1b2c3d4e5f", false},
		{"6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5", false},
	} {
		if got := IsGUID(tc.s); got != tc.want {
			t.Errorf("IsGUID(%q) = %v; want %v", tc.s, got, tc.want)
		}
	}
}
