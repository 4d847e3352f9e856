package directory_test

import (
	"context"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

func TestOfficeHours(t *testing.T) {
	belgrade, _ := time.LoadLocation("Europe/Belgrade")
	at := func(day, hh, mm int) time.Time { return time.Date(2026, 11, day, hh, mm, 0, 0, belgrade) } // 2 November 2026 is a Monday
	for _, tc := range []struct {
		hours string
		t     time.Time
		open  bool
	}{
		{"Mon-Fri 08:00-16:00", at(2, 8, 0), true},
		{"Mon-Fri 08:00-16:00", at(2, 16, 0), false},
		{"Mon-Fri 08:00-16:00", at(7, 10, 0), false}, // Saturday
		{"Mon-Thu 07:30-15:30; Fri 07:30-14:00", at(6, 14, 30), false},
		{"Mon-Thu 07:30-15:30; Fri 07:30-14:00", at(5, 14, 30), true},
		{"Sat, Sun 09:00-13:00", at(8, 12, 59), true},
		{"daily 08:00-20:00", at(8, 19, 0), true},
		{"08:00-16:00", at(8, 9, 0), true},
		{"Fri 22:00-06:00", at(7, 5, 0), true}, // Saturday early morning, after Friday night
		{"Fri 22:00-06:00", at(6, 5, 0), false},
		{"Fri-Mon 10:00-11:00", at(8, 10, 30), true}, // a range across the week's end
		{"mon-fri 00:00-24:00", at(4, 23, 59), true},
	} {
		h, err := directory.ParseHours(tc.hours)
		if err != nil {
			t.Fatalf("%q: %v", tc.hours, err)
		}
		if got := h.Open(tc.t); got != tc.open {
			t.Errorf("%q at %s: open=%v, want %v", tc.hours, tc.t.Format("Mon 15:04"), got, tc.open)
		}
	}
	for _, bad := range []string{"", "Mon-Fri", "Mon-Fri 8-16", "weekdays 08:00-16:00", "Mon-Fri 08:00-08:00", "Mon 25:00-26:00", "Mon-Xyz 08:00-10:00"} {
		if _, err := directory.ParseHours(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseHours(f *testing.F) {
	for _, s := range []string{"Mon-Fri 08:00-16:00", "Sat, Sun 09:00-13:00", "daily 22:00-06:00", "", "24:00-00:00", "mon-sun 0:00-23:59;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := directory.ParseHours(s)
		if err != nil {
			return
		}
		// Whatever parses answers for every moment without panicking.
		base := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
		for m := 0; m < 7*24*60; m += 97 {
			h.Open(base.Add(time.Duration(m) * time.Minute))
		}
	})
}

// "Who now": when the office found is closed, the lookup says so and
// offers the country's 24/7 desk.
func TestLookupHonoursOfficeHours(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "rs")
		ctx := context.Background()
		mup, err := e.svc.CreateAgency(ctx, admin, mupInput())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateContactPoint(ctx, admin, cpInput(mup.ID)); err != nil { // Mon-Fri 07:30-15:30 Belgrade
			t.Fatal(err)
		}
		ncuIn := cpInput(mup.ID)
		ncuIn.Role, ncuIn.HolderName, ncuIn.DeputyName, ncuIn.AlwaysOn, ncuIn.Hours = "ncu", "Dragan Nikolić", "", true, ""
		if _, err := e.svc.CreateContactPoint(ctx, admin, ncuIn); err != nil {
			t.Fatal(err)
		}
		// Monday 09:00 UTC is 10:00 in Belgrade: open.
		res, err := e.svc.Lookup(ctx, officer, "RS", "aro")
		if err != nil || res.ClosedNow || len(res.Desk) != 0 || res.Contacts[0].Availability != directory.AvailableOpen {
			t.Fatalf("office hours: %+v %v", res, err)
		}
		// Monday 15:00 UTC is 16:00 in Belgrade: closed, the NCU desk is offered.
		e.clk.Advance(6 * time.Hour)
		res, err = e.svc.Lookup(ctx, officer, "RS", "aro")
		if err != nil || !res.ClosedNow || res.Contacts[0].Availability != directory.AvailableClosed || len(res.Desk) != 1 ||
			res.Desk[0].Role != "ncu" || res.Desk[0].Availability != directory.AvailableAlways {
			t.Fatalf("after hours: %+v %v", res, err)
		}
	})
}
