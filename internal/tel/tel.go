// Package tel reads phone numbers: as given by people (which must exist)
// or as providers send them (which need only be possible), always
// returning E.164.
package tel

import (
	"fmt"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// Valid reads a phone number someone gives to be called or texted
// (a booking's, the clinic's own): it must be a number that exists (valid,
// not merely possible), written with digits and phone punctuation only,
// read in country when it has no +. It returns E.164, or an error that
// says what is wrong in words.
func Valid(number, country string) (string, error) {
	s := strings.TrimSpace(number)
	for _, r := range s {
		if !(r >= '0' && r <= '9') && !strings.ContainsRune("+-(). ", r) {
			return "", fmt.Errorf("must be a phone number in digits, e.g. +15125550123 (not %q)", clip(number))
		}
	}
	num, err := phonenumbers.Parse(s, country)
	if err != nil {
		return "", fmt.Errorf("must be a phone number, e.g. +15125550123")
	}
	if phonenumbers.IsValidNumber(num) {
		return phonenumbers.Format(num, phonenumbers.E164), nil
	}
	national := phonenumbers.GetNationalSignificantNumber(num)
	if num.GetCountryCode() == 1 && len(national) == 7 {
		return "", fmt.Errorf("a US number needs its area code (10 digits)")
	}
	return "", fmt.Errorf("%q is not a phone number that exists: check the digits and the country code", clip(number))
}

// Normalize returns number in E.164, read in country when it has no +,
// for numbers that are only looked up or recorded as a provider sent them
// (a search, a call's numbers): possible is enough.
func Normalize(number, country string) (string, error) {
	num, err := phonenumbers.Parse(number, country)
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return "", fmt.Errorf("not a phone number: %q", clip(number))
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Zone is where an E.164 number is, for calling hours: the clinic's zone
// when the number is in the clinic's country, or when its own region
// has no single known zone; otherwise its region's.
func Zone(number, clinicCountry string, clinicZone *time.Location) *time.Location {
	num, err := phonenumbers.Parse(number, clinicCountry)
	if err != nil || phonenumbers.GetRegionCodeForNumber(num) == clinicCountry {
		return clinicZone
	}
	zones, err := phonenumbers.GetTimezonesForNumber(num)
	if err != nil || len(zones) != 1 {
		return clinicZone
	}
	loc, err := time.LoadLocation(zones[0])
	if err != nil {
		return clinicZone
	}
	return loc
}
