// The server's admission rules, run on the device: the scanner bundle carries the rule table of badges/rules.py
// (JSON expression trees over named facts) and this file only interprets it, so there is no second copy of the
// rules to drift. The facts come from the bundle (badge, checkpoint, its sessions) and from what this device
// admitted itself. Mirror of badges/rules.py's evaluate(): keep the two interpreters' operators alike.
(function () {
  "use strict";
  const ordered = (compare) => (a, b) => a !== null && b !== null && a !== undefined && b !== undefined && compare(a, b);
  const BINARY = {
    eq: (a, b) => a === b,
    ne: (a, b) => a !== b,
    lt: ordered((a, b) => a < b),
    le: ordered((a, b) => a <= b),
    gt: ordered((a, b) => a > b),
    ge: ordered((a, b) => a >= b),
    add: (a, b) => (a === null || b === null ? null : a + b),
    has: (items, item) => item !== null && item !== undefined && items.includes(item),
  };

  function evaluate(expr, facts) {
    if (!Array.isArray(expr)) return expr;
    const [op, ...args] = expr;
    switch (op) {
      case "var":
        if (!(args[0] in facts)) throw new Error(`scan rules: no fact ${args[0]}`);
        return facts[args[0]];
      case "and":
        return args.every((a) => evaluate(a, facts));
      case "or":
        return args.some((a) => evaluate(a, facts));
      case "not":
        return !evaluate(args[0], facts);
      case "if":
        return evaluate(evaluate(args[0], facts) ? args[1] : args[2], facts);
      case "one_of":
        return args.slice(1).includes(evaluate(args[0], facts));
      default:
        if (!(op in BINARY)) throw new Error(`scan rules: unknown operator ${op}`);
        return BINARY[op](evaluate(args[0], facts), evaluate(args[1], facts));
    }
  }

  function firstReason(rules, facts) {
    for (const rule of rules) if (evaluate(rule.when, facts)) return rule.reason;
    throw new Error("scan rules: no rule held");
  }

  const time = (text) => (text === null || text === undefined ? null : Date.parse(text));

  // The bundle indexed once, times as milliseconds: a scan then costs a map lookup and the rule table.
  function prepare(bundle) {
    const badges = new Map(bundle.badges.map((b) => [b.serial, b]));
    const checkpoints = new Map(
      bundle.checkpoints.map((c) => [
        c.id,
        {
          ...c,
          opens: time(c.opens_at),
          closes: time(c.closes_at),
          slots: c.sessions.map((s) => ({ ...s, starts: time(s.starts_at), ends: time(s.ends_at) })),
        },
      ]),
    );
    return { bundle, badges, checkpoints, doors: bundle.doors_open_minutes * 60000, rules: bundle.rules };
  }

  // The session a room or session door scan belongs to: the latest-starting one the rule says is open (the
  // bundle lists them by start, so the last open one wins, as the server's query orders them).
  function slotFor(prepared, checkpoint, facts) {
    let found = null;
    for (const slot of checkpoint.slots) {
      const open = evaluate(prepared.rules.slot_open, { ...facts, "slot.starts_at": slot.starts, "slot.ends_at": slot.ends });
      if (open && (!found || slot.starts >= found.starts)) found = slot;
    }
    return found;
  }

  // scan: {code_valid, other_event, serial, version, checkpoint_id, direction, moment (ms)}; inside(zone, serial)
  // says whether this device has the badge inside that zone. The answer: reason, badge, session slot, zone.
  function decide(prepared, scan, inside) {
    const badge = scan.serial ? prepared.badges.get(scan.serial) : undefined;
    const checkpoint = prepared.checkpoints.get(scan.checkpoint_id);
    const facts = {
      code_valid: scan.code_valid,
      other_event: scan.other_event,
      badge_known: Boolean(badge),
      version: scan.version,
      current_version: badge ? badge.version : null,
      status: badge ? badge.status : null,
      direction: scan.direction,
      kind: checkpoint ? checkpoint.kind : null,
      checkpoint_active: Boolean(checkpoint), // the bundle lists only open checkpoints
      moment: scan.moment,
      opens_at: checkpoint ? checkpoint.opens : null,
      closes_at: checkpoint ? checkpoint.closes : null,
      checkpoint_add_on: checkpoint ? checkpoint.required_add_on : null,
      doors_open: prepared.doors,
      add_ons: badge ? badge.add_ons : [],
    };
    const slot = checkpoint ? slotFor(prepared, checkpoint, facts) : null;
    facts.slot_found = Boolean(slot);
    facts.slot_add_on = slot ? slot.required_add_on : null;
    let zone = null;
    if (slot) zone = `session:${slot.session_id}`;
    else if (checkpoint && checkpoint.kind === "add_on") zone = `add_on:${checkpoint.required_add_on}`;
    else if (checkpoint && checkpoint.kind === "entrance") zone = "entrance";
    facts.inside = Boolean(zone && badge && inside(zone, badge.serial));
    return { reason: firstReason(prepared.rules.rules, facts), badge, slot, zone };
  }

  window.PodiumScanRules = { evaluate, firstReason, prepare, decide };
})();
