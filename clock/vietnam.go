package clock

import "time"

// Vietnam is the campaign's civil time zone (UTC+7, no daylight saving).
// Days, dates on paper and "today" everywhere in kyso are in this zone.
var Vietnam = time.FixedZone("ICT", 7*3600)
