package domain

// HouseFlat names the premises of one house (by GIS or FIAS house GUID) with one flat key
// (match.FlatKey of the flat number): the key of the decide step's house-and-flat lookups,
// which read one flat of a house instead of the whole house.
type HouseFlat struct {
	House   string
	FlatKey string
}
