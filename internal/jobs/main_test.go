package jobs

import (
	"testing"

	"frontdesk/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }
