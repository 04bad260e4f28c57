// Reads an iCalendar file from stdin with ical.js (Thunderbird's parser) and prints its events as JSON,
// with start and end resolved to UTC instants through the file's own VTIMEZONE.
const ICAL = require("ical.js");

let text = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (text += chunk));
process.stdin.on("end", () => {
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const zone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(new ICAL.Timezone(zone));
  }
  const events = calendar.getAllSubcomponents("vevent").map((component) => {
    const event = new ICAL.Event(component);
    return {
      uid: event.uid,
      summary: event.summary,
      start_utc: event.startDate.toJSDate().toISOString(),
      end_utc: event.endDate.toJSDate().toISOString(),
      start_tzid: event.startDate.timezone || event.startDate.zone.tzid,
      sequence: event.sequence,
      status: component.getFirstPropertyValue("status"),
      location: event.location,
      description: event.description,
      categories: component.getFirstPropertyValue("categories"),
      url: component.getFirstPropertyValue("url"),
    };
  });
  process.stdout.write(JSON.stringify({ name: calendar.getFirstPropertyValue("x-wr-calname"), events }));
});
