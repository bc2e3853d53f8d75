/**
 * The shape of a loaded rule set: rules, sources, sanitizers and framework roles, all plain data read from YAML packs
 * (see packages/scan/rules/README.md). Plain data so a rule set can be sent to worker threads with `structuredClone`.
 */
import type { Confidence, Severity, VulnerabilityClass } from '../types.js';

/** What an untrusted value may be at run time; NoSQL operator injection needs an object, mass assignment a whole one. */
export type TaintShape = 'object' | 'any' | 'string';

/** Which arguments of a call a sink or sanitizer looks at: indexes, `last`, or `all`. */
export type ArgumentSelector = number | 'last' | 'all';

/**
 * Which call (or property assignment) a sink, sanitizer or configuration check is about.
 *
 * - `functions`: qualified names. `module:export.path` for imports/requires (`child_process:exec`, `lodash:merge`),
 *   a bare module name for the module itself or its default export (`escape-html`), and the plain dotted path for
 *   globals that no local binding shadows (`eval`, `JSON.parse`, `setTimeout`).
 * - `constructors`: the same names, matched on `new`; `'*'` with `receiver` (tested on the callee's source text) is any
 *   class the application defines or imports from its own files (`new Project(body)`), never a global or a package.
 * - `methods` with `receiver` (a case-insensitive regular expression tested on the receiver's source text),
 *   `modules` (the receiver came from one of these modules, e.g. `new Pool()` from `pg`) or `role` (the receiver is a
 *   framework object such as `express.res`). Without any of the three, any receiver matches.
 * - `property`: an assignment `receiver.property = value` (with `role`/`receiver` as for methods).
 * - `tags`: tagged templates (`sql\`...\``), qualified like `functions`.
 */
export interface CalleePattern {
  readonly functions?: readonly string[];
  readonly constructors?: readonly string[];
  readonly methods?: readonly string[];
  readonly receiver?: string;
  readonly modules?: readonly string[];
  readonly role?: string;
  readonly property?: string;
  readonly tags?: readonly string[];
}

/** A literal test on an option object's property (`{ shell: true }`, `{ root: dir }`, `{ algorithms: [...] }`). */
export interface OptionCondition {
  readonly arg: ArgumentSelector;
  /** Dotted property path inside the options object (`cookie.httpOnly`). */
  readonly key: string;
  /**
   * `truthy`/`falsy` need a literal; `present`/`absent` look only at the key; `contains` tests array literal items;
   * `matches` tests the option value's source text against the regular expression in `value` (case-insensitive).
   */
  readonly is: 'truthy' | 'falsy' | 'present' | 'absent' | 'contains' | 'matches';
  /** For `contains`: the literal item (case-insensitive); for `matches`: the regular expression. */
  readonly value?: string;
}

/** A condition on a call: all given parts must hold. */
export interface CallCondition {
  readonly option?: OptionCondition;
  /** A literal option the receiver was constructed with (`new XMLParser({ processEntities: false })`). */
  readonly receiverOption?: Omit<OptionCondition, 'arg'>;
  /** The argument is a string literal matching this case-insensitive regular expression. */
  readonly argLiteral?: { readonly arg: number; readonly matches: string };
  /** The argument's source text matches this case-insensitive regular expression. */
  readonly argText?: { readonly arg: number; readonly matches: string };
  /** The call has at least this many arguments. */
  readonly minArgs?: number;
  /**
   * The receiver was returned by a method whose name matches this regular expression (`db.prepare(sql)` makes a
   * statement whose `all(...)` arguments are bound parameters, not SQL text).
   */
  readonly receiverCall?: { readonly matches: string };
  /** XSS only: the response is HTML (content type set to HTML, HTML markup in the string, or a default-HTML API). */
  readonly context?: 'html';
}

/** A dangerous call or assignment and which of its inputs must not be untrusted. */
export interface SinkSpec extends CalleePattern {
  /** Which arguments carry the dangerous input; ignored for `property` sinks (the assigned value). */
  readonly args?: readonly ArgumentSelector[];
  /**
   * Look only at this property of the argument object (`filter` of an LDAP search options object). An argument that
   * is not an object literal counts as the property itself (pg's `query(text)` or `query({ text })`), unless
   * `argPropertyOnly` is set (a MongoDB filter string is not a `$where` clause).
   */
  readonly argProperty?: string;
  readonly argPropertyOnly?: boolean;
  /** Look also inside object/array literals passed as the argument (NoSQL filters, Prisma `data`). */
  readonly deep?: boolean;
  /** Untrusted values of these shapes only (default: any). */
  readonly shapes?: readonly TaintShape[];
  /** All must hold for the sink to apply. */
  readonly when?: readonly CallCondition[];
  /** None may hold for the sink to apply. */
  readonly unless?: readonly CallCondition[];
  /** Words for the flow's last step, e.g. "SQL text". */
  readonly label?: string;
}

export interface RuleExamples {
  readonly vulnerable: readonly string[];
  readonly safe: readonly string[];
}

interface RuleBase {
  readonly id: string;
  readonly class: VulnerabilityClass;
  readonly cwe: string;
  readonly owasp: string;
  readonly severity: Severity;
  readonly confidence: Confidence;
  /** One sentence; `{source}` and `{sink}` are replaced for taint rules. */
  readonly message: string;
  readonly fix: string;
  readonly examples: RuleExamples;
  /** Which pack file defined the rule (for messages and the docs). */
  readonly pack: string;
}

/** Untrusted data from a source reaching one of the sinks. */
export interface TaintRule extends RuleBase {
  readonly kind: 'taint';
  readonly sinks: readonly SinkSpec[];
}

/** The built-in matchers that need more than a call pattern; their `options` are data. */
export type MatcherName =
  | 'hardcoded-secret'
  | 'weak-password-hash'
  | 'insecure-randomness'
  | 'jwt-decode-authorization'
  | 'cors-reflected-origin'
  | 'forwarded-for-client-address'
  | 'jwt-none-accepted'
  | 'redos-literal';

/** A misconfiguration found without data flow. Exactly one of `call`, `property`, `assign`, `matcher`. */
export interface ConfigMatch {
  readonly call?: CalleePattern;
  readonly when?: readonly CallCondition[];
  readonly unless?: readonly CallCondition[];
  /** At least one must hold (a cookie missing any one of its flags). */
  readonly whenAny?: readonly CallCondition[];
  /**
   * An object-literal property `key: literal` anywhere (`rejectUnauthorized: false`), unless the same object literal
   * also has `unlessSibling` (`requestCert: true`: on a TLS *server* it makes client certificates optional, which the
   * application then checks — not a client that stopped verifying the server).
   */
  readonly property?: {
    readonly key: string;
    readonly value: string | number | boolean;
    readonly unlessSibling?: { readonly key: string; readonly value: string | number | boolean };
  };
  /**
   * An assignment whose target text matches `target` (regex) and whose value is the literal `value`, unless the
   * module also assigns a target matching `unlessAssigned` (Koa's `app.proxy = true` with `app.maxIpsCount = 1`).
   */
  readonly assign?: { readonly target: string; readonly value: string | number | boolean; readonly unlessAssigned?: string };
  readonly matcher?: MatcherName;
  readonly options?: Readonly<Record<string, string | number | boolean | readonly string[]>>;
}

export interface ConfigRule extends RuleBase {
  readonly kind: 'config';
  readonly match: ConfigMatch;
}

export type Rule = TaintRule | ConfigRule;

/**
 * Where untrusted data enters: a property, method result, event payload or iteration of a framework object — or the
 * result of a call (`call`), such as rows read back from a database, whatever object it is made on.
 */
export interface SourceSpec {
  /** A framework role (`express.req`, `koa.ctx`, …) or `global` for globals such as `process.env`. */
  readonly role: string;
  /** Dotted property path from the role object (`request.body`) or from the global (`process.env`). */
  readonly property?: string;
  /** Dotted path of a method called on the role object (`get`, `req.query`, `cookies.get`). */
  readonly method?: string;
  /** A callback's first argument for this event (`req.on('data', chunk => …)`). */
  readonly event?: string;
  /** `for await (const chunk of req)`. */
  readonly iterate?: boolean;
  /**
   * The result of these method calls (`stmt.all()`, `db.prepare(sql).get(id)`): `methods` with a `receiver` regex on
   * the receiver's source text. Stored data is written by earlier requests (stored XSS, CWE-79).
   */
  readonly call?: { readonly methods: readonly string[]; readonly receiver?: string };
  /** The method returns a promise of the value (`await request.json()`); informational. */
  readonly async?: boolean;
  readonly kind: string;
  readonly shape: TaintShape;
  readonly confidence: Confidence;
  /** The value is already validated by the framework (Hono `c.req.valid()`): it is not a source. */
  readonly validated?: boolean;
  /**
   * Classes this source does not count for: the operator, not a client, chooses a file path or a service URL in the
   * environment, so `readFileSync(process.env.KEY_PATH)` is configuration, not path traversal.
   */
  readonly safeFor?: readonly VulnerabilityClass[];
  /** The only classes this source counts for (stored data: XSS), when not every class. */
  readonly onlyFor?: readonly VulnerabilityClass[];
  /** Human words for the flow's first step, e.g. "request body". */
  readonly label: string;
}

/** What a framework object's methods return: itself (`res.status(400)`) or another role. */
export interface RoleSpec {
  readonly role: string;
  /** Methods that return the same object, so calls chain (`res.status(400).send(x)`). */
  readonly chain: readonly string[];
  /** Properties or method results that are another role (`ctx.request` is not, but `c.req` keeps `hono.c`). */
  readonly members?: Readonly<Record<string, string>>;
}

/** A call that makes a value safe for some classes (or all), or a predicate that guards a branch. */
export interface SanitizerSpec extends CalleePattern {
  /** `all`, or the classes the result is safe for. */
  readonly cleans: 'all' | readonly VulnerabilityClass[];
  /**
   * `result`: the call's result is clean (the default). `guard`: the call is a predicate; `if (!p(x)) return;` cleans
   * `x` after it, `if (p(x)) {…}` inside. `argument`: the call checks its argument and throws (`assertSafe(x)`).
   */
  readonly mode?: 'result' | 'guard' | 'argument';
  /** For `replace`/`replaceAll` sanitizers: the regex source (or string) being replaced must match this regex. */
  readonly pattern?: string;
  /** Which argument is sanitized (default 0; for methods with no argument, the receiver). */
  readonly arg?: number | 'receiver';
}

/** A loaded rule set: every pack merged. Plain data. */
export interface RuleSet {
  readonly rules: readonly Rule[];
  readonly sources: readonly SourceSpec[];
  readonly sanitizers: readonly SanitizerSpec[];
  readonly roles: readonly RoleSpec[];
  /** The pack files that were loaded, in order. */
  readonly packs: readonly string[];
}
