package match

// The fixtures of the package's own tests, for its external tests (which may import the
// store: the store imports this package for FlatKey).
var (
	TestPremises  = testPremises
	PrefetchCases = prefetchCases
)
