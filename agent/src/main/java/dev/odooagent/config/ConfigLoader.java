package dev.odooagent.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

/** Loads the config: defaults, then the YAML file, then {@code ODOO_AGENT_*} env, then {@code *_file} secrets. */
public final class ConfigLoader {
  /** Every key with its default; the order is the printed order. Lists are comma-separated in env. */
  static final Map<String, Object> DEFAULTS = new LinkedHashMap<>();

  static {
    DEFAULTS.put("host_id", "");
    DEFAULTS.put("state_dir", "/var/lib/odoo-agent");
    DEFAULTS.put("service.container", "odoo-ce");
    DEFAULTS.put("service.image", "ghcr.io/jgtolentino/odoo-ce");
    DEFAULTS.put("service.track", "latest");
    DEFAULTS.put("service.tag_pattern", "^sha-[0-9a-f]{7,40}$");
    DEFAULTS.put("service.database", "odoo");
    DEFAULTS.put("service.shared_database", "false");
    DEFAULTS.put("service.database_host", "");
    DEFAULTS.put("service.database_port", "");
    DEFAULTS.put("service.database_user", "");
    DEFAULTS.put("service.database_password_file", "/run/credentials/odoo-agent/database-password");
    DEFAULTS.put("service.coordination_database", "odoo_agent");
    DEFAULTS.put("registry.url", "https://ghcr.io");
    DEFAULTS.put("registry.username", "");
    DEFAULTS.put("registry.password_file", "/run/credentials/odoo-agent/registry-token");
    DEFAULTS.put("registry.poll_interval", "5m");
    DEFAULTS.put("deploy.health_url", "http://127.0.0.1:8069/web/health");
    DEFAULTS.put("deploy.health_interval", "2s");
    DEFAULTS.put("deploy.healthy_threshold", "3");
    DEFAULTS.put("deploy.health_timeout", "180s");
    DEFAULTS.put("deploy.upgrade", "changed");
    DEFAULTS.put("deploy.upgrade_modules", List.of());
    DEFAULTS.put("deploy.upgrade_timeout", "30m");
    DEFAULTS.put("deploy.snapshot", "template");
    DEFAULTS.put("deploy.keep_images", "3");
    DEFAULTS.put("deploy.gate_hooks", List.of());
    DEFAULTS.put("deploy.coalesce_window", "2s");
    DEFAULTS.put("deploy.gate_timeout", "10m");
    DEFAULTS.put("deploy.pull_timeout", "15m");
    DEFAULTS.put("deploy.rollback_timeout", "10m");
    DEFAULTS.put("deploy.keep_copy", "24h");
    DEFAULTS.put("deploy.window", "");
    DEFAULTS.put("deploy.auto", "true");
    DEFAULTS.put("deploy.strategy", "auto");
    DEFAULTS.put("http.listen", "127.0.0.1:9780");
    DEFAULTS.put("http.admin_token_file", "/run/credentials/odoo-agent/admin-token");
    DEFAULTS.put("webhooks.listen", "127.0.0.1:9781");
    DEFAULTS.put("webhooks.github_secret_file", "/run/credentials/odoo-agent/github-secret");
    DEFAULTS.put("webhooks.registry_token_file", "/run/credentials/odoo-agent/registry-hook-token");
    DEFAULTS.put("webhooks.max_body", "1MiB");
    DEFAULTS.put("webhooks.rate_limit", "20");
    DEFAULTS.put("webhooks.github_image", "");
    DEFAULTS.put("mqtt.url", "mqtt://127.0.0.1:1883");
    DEFAULTS.put("mqtt.username", "odoo-agent");
    DEFAULTS.put("mqtt.password_file", "/run/credentials/odoo-agent/mqtt-password");
    DEFAULTS.put("mqtt.topic_prefix", "odoo");
    DEFAULTS.put("mqtt.command_secret_file", "");
    DEFAULTS.put("mqtt.ca_file", "");
    DEFAULTS.put("docker.host", "unix:///var/run/docker.sock");
    DEFAULTS.put("notify.webhook_url_file", "");
    DEFAULTS.put("notify.on", List.of("success", "rolled_back", "failed"));
    DEFAULTS.put("fleet.group", "");
    DEFAULTS.put("fleet.wave", "0");
    DEFAULTS.put("fleet.soak", "5m");
    DEFAULTS.put("fleet.wave_timeout", "1h");
  }

  private static final Pattern HOST_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
  private static final Pattern TOPIC_PREFIX = Pattern.compile("[A-Za-z0-9._/-]{1,64}");
  private static final List<String> NOTIFY_OUTCOMES = List.of("success", "rolled_back", "failed", "skipped");
  private static final Pattern SIZE = Pattern.compile("(\\d+)(B|KiB|MiB|GiB)?");

  /** Where systemd/install keeps the credential files that the unit loads (root only), next to agent.yaml. */
  public static final Path INSTALLED_CREDENTIALS = Path.of("/etc/odoo-agent/credentials");
  private static final Path SYSTEMD_CREDENTIALS = Path.of("/run/credentials");

  private final Map<String, String> env;

  /** A loader reading the given environment (pass {@code System.getenv()} in production). */
  public ConfigLoader(Map<String, String> env) {
    this.env = env;
  }

  /**
   * The file a {@code *_file} value names. A path under /run/credentials/ that does not exist is a systemd credential
   * seen from outside the unit (or under another unit name): it is looked up by its file name in
   * {@code $CREDENTIALS_DIRECTORY} (set inside the unit), then in {@code installed}: the {@code credentials/}
   * directory next to the config file (/etc/odoo-agent/credentials/, where systemd/install puts them).
   */
  private Path credentialFile(Path named, Path installed) {
    if (Files.exists(named) || !named.normalize().startsWith(SYSTEMD_CREDENTIALS) || named.getFileName() == null) {
      return named;
    }
    String unitDir = env.get("CREDENTIALS_DIRECTORY");
    for (Path dir : unitDir == null || unitDir.isBlank() ? List.of(installed) : List.of(Path.of(unitDir), installed)) {
      Path candidate = dir.resolve(named.getFileName().toString());
      if (Files.exists(candidate)) {
        return candidate;
      }
    }
    return named;
  }

  /** The env variable that overrides a key, e.g. {@code mqtt.url} → {@code ODOO_AGENT_MQTT_URL}. */
  public static String envName(String key) {
    return "ODOO_AGENT_" + key.toUpperCase(Locale.ROOT).replace('.', '_');
  }

  /** Loads and validates; {@code file} may be null (defaults + env), or must exist when given. */
  public Loaded load(Path file) {
    Map<String, Object> values = new LinkedHashMap<>(DEFAULTS);
    Map<String, String> origin = new LinkedHashMap<>();
    DEFAULTS.keySet().forEach(k -> origin.put(k, "default"));
    if (file != null) {
      readYaml(file, values, origin);
    }
    for (String key : DEFAULTS.keySet()) {
      String v = env.get(envName(key));
      if (v != null) {
        values.put(key, DEFAULTS.get(key) instanceof List ? splitList(v) : v);
        origin.put(key, "env " + envName(key));
      }
    }
    Path installed = file == null ? INSTALLED_CREDENTIALS : file.toAbsolutePath().resolveSibling("credentials");
    return new Loaded(build(values, origin, named -> credentialFile(named, installed)), values, origin);
  }

  /** The result: the typed config plus the raw values and where each came from, for printing. */
  public record Loaded(AgentConfig config, Map<String, Object> values, Map<String, String> origin) {
    /** The effective config as YAML-like lines; secrets are never read into it, only their file paths. */
    public String describe() {
      StringBuilder sb = new StringBuilder();
      String section = "";
      for (Map.Entry<String, Object> e : values.entrySet()) {
        String key = e.getKey();
        int dot = key.indexOf('.');
        String indent = "";
        if (dot > 0) {
          String s = key.substring(0, dot);
          if (!s.equals(section)) {
            sb.append(s).append(":\n");
            section = s;
          }
          indent = "  ";
          key = key.substring(dot + 1);
        }
        Object v = e.getKey().equals("host_id") ? config.hostId() : e.getValue();
        String shown = v instanceof List<?> l ? l.toString() : "'" + v + "'";
        if (e.getKey().endsWith("_file") && !e.getKey().equals("mqtt.ca_file") && !String.valueOf(v).isEmpty()) {
          Secret secret = secretOf(e.getKey());
          shown += secret == null
              ? e.getKey().equals("registry.password_file") ? "  # no token: anonymous pulls" : "  # not present: feature off"
              : secret.source().toString().equals(v) ? "  # secret loaded (****)" : "  # secret loaded from " + secret.source() + " (****)";
        }
        sb.append(indent).append(key).append(": ").append(shown)
            .append(origin.get(e.getKey()).equals("default") ? "" : "  # from " + origin.get(e.getKey()))
            .append('\n');
      }
      return sb.toString();
    }

    private Secret secretOf(String key) {
      switch (key) {
        case "registry.password_file": return config.registry().password();
        case "http.admin_token_file": return config.http().adminToken();
        case "webhooks.github_secret_file": return config.webhooks().githubSecret();
        case "webhooks.registry_token_file": return config.webhooks().registryToken();
        case "mqtt.password_file": return config.mqtt().password();
        case "mqtt.command_secret_file": return config.mqtt().commandSecret();
        case "notify.webhook_url_file": return config.notifications().webhookUrl();
        case "service.database_password_file": return config.service().server() == null ? null : config.service().server().password();
        default: return null;
      }
    }
  }

  private static List<String> splitList(String v) {
    return Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toList());
  }

  private void readYaml(Path file, Map<String, Object> values, Map<String, String> origin) {
    if (!Files.isRegularFile(file)) {
      throw new ConfigException("config file " + file + " does not exist (pass --config FILE, or omit it to use defaults + env)");
    }
    JsonNode root;
    try {
      // a key given twice would silently replace the first (a whole section, even): refuse it instead
      root = new ObjectMapper(new YAMLFactory().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)).readTree(file.toFile());
    } catch (IOException e) {
      throw new ConfigException("config file " + file + " is not valid YAML: " + firstLine(e.getMessage()));
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      return;
    }
    if (!root.isObject()) {
      throw new ConfigException("config file " + file + " must be a YAML mapping of keys");
    }
    flatten("", root, file, values, origin);
  }

  private void flatten(String prefix, JsonNode node, Path file, Map<String, Object> values, Map<String, String> origin) {
    Iterator<Map.Entry<String, JsonNode>> it = node.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = prefix + e.getKey();
      JsonNode v = e.getValue();
      if (v.isObject() && !DEFAULTS.containsKey(key)) {
        if (DEFAULTS.keySet().stream().noneMatch(k -> k.startsWith(key + "."))) {
          throw unknownKey(key, file);
        }
        flatten(key + ".", v, file, values, origin);
        continue;
      }
      if (!DEFAULTS.containsKey(key)) {
        throw unknownKey(key, file);
      }
      if (DEFAULTS.get(key) instanceof List) {
        if (!v.isArray() && !v.isNull()) {
          throw new ConfigException("config key " + key + " in " + file + " must be a list, e.g. [a, b]");
        }
        List<String> list = new ArrayList<>();
        v.forEach(x -> list.add(x.asText()));
        values.put(key, list);
      } else {
        if (v.isContainerNode()) {
          throw new ConfigException("config key " + key + " in " + file + " must be a single value, not a " + (v.isArray() ? "list" : "mapping"));
        }
        values.put(key, v.isNull() ? "" : v.asText());
      }
      origin.put(key, file.toString());
    }
  }

  private static ConfigException unknownKey(String key, Path file) {
    String section = key.contains(".") ? key.substring(0, key.lastIndexOf('.')) : "";
    Set<String> known = new TreeSet<>();
    for (String k : DEFAULTS.keySet()) {
      if (section.isEmpty()) {
        known.add(k.split("\\.")[0]);
      } else if (k.startsWith(section + ".")) {
        known.add(k.substring(section.length() + 1));
      }
    }
    return new ConfigException("unknown config key " + key + " in " + file + " (known " + (section.isEmpty() ? "top-level keys" : "keys under " + section) + ": " + String.join(", ", known) + ")");
  }

  private AgentConfig build(Map<String, Object> v, Map<String, String> origin, UnaryOperator<Path> credentials) {
    Reader r = new Reader(v, origin, credentials);
    String hostId = r.str("host_id");
    if (hostId.isEmpty()) {
      hostId = localHostName();
    }
    if (!HOST_ID.matcher(hostId).matches()) {
      throw r.bad("host_id", hostId, "use letters, digits, '.', '_' or '-' (it is part of MQTT topics and metric labels)");
    }
    String image = r.str("service.image");
    if (!image.matches("[a-z0-9.:-]+(/[a-z0-9._-]+)+")) {
      throw r.bad("service.image", image, "give a repository without tag, e.g. ghcr.io/owner/odoo-ce");
    }
    Pattern tagPattern;
    try {
      tagPattern = Pattern.compile(r.str("service.tag_pattern"));
    } catch (PatternSyntaxException e) {
      throw r.bad("service.tag_pattern", r.str("service.tag_pattern"), "not a regular expression: " + e.getDescription());
    }
    String database = r.nonEmpty("service.database");
    boolean shared = r.bool("service.shared_database");
    AgentConfig.Service service = new AgentConfig.Service(
        r.nonEmpty("service.container"), image, r.nonEmpty("service.track"), tagPattern, database, shared,
        shared ? databaseServer(r, database) : null);
    AgentConfig.Registry registry = new AgentConfig.Registry(
        r.url("registry.url", "http", "https"), r.str("registry.username"), registryToken(r),
        r.duration("registry.poll_interval"));
    AgentConfig.UpgradeMode upgrade = r.choice("deploy.upgrade", AgentConfig.UpgradeMode.class);
    List<String> modules = r.list("deploy.upgrade_modules");
    for (String m : modules) {
      if (!m.matches("[a-z0-9_]+")) {
        throw r.bad("deploy.upgrade_modules", m, "module names are lower-case letters, digits and '_'");
      }
    }
    if (upgrade == AgentConfig.UpgradeMode.LIST && modules.isEmpty()) {
      throw r.bad("deploy.upgrade_modules", "[]", "deploy.upgrade is 'list', so name at least one module");
    }
    AgentConfig.Deploy deploy = new AgentConfig.Deploy(
        r.url("deploy.health_url", "http", "https"), r.positiveDuration("deploy.health_interval"),
        r.integer("deploy.healthy_threshold", 1, 100), r.positiveDuration("deploy.health_timeout"),
        upgrade, modules, r.positiveDuration("deploy.upgrade_timeout"),
        r.choice("deploy.snapshot", AgentConfig.SnapshotMode.class), r.integer("deploy.keep_images", 2, 100),
        r.list("deploy.gate_hooks"), r.duration("deploy.coalesce_window"),
        r.positiveDuration("deploy.gate_timeout"), r.positiveDuration("deploy.pull_timeout"),
        r.positiveDuration("deploy.rollback_timeout"), r.duration("deploy.keep_copy"), r.window("deploy.window"),
        r.bool("deploy.auto"), r.choice("deploy.strategy", AgentConfig.Strategy.class));
    AgentConfig.Http http = new AgentConfig.Http(r.hostPort("http.listen"), r.secret("http.admin_token_file"));
    AgentConfig.Webhooks webhooks = new AgentConfig.Webhooks(
        r.hostPort("webhooks.listen"), r.secret("webhooks.github_secret_file"),
        r.secret("webhooks.registry_token_file"), r.size("webhooks.max_body"), r.integer("webhooks.rate_limit", 1, 1_000_000),
        r.str("webhooks.github_image").isEmpty() ? image : r.str("webhooks.github_image"));
    String mqttUrl = r.str("mqtt.url");
    String prefix = r.nonEmpty("mqtt.topic_prefix");
    if (!TOPIC_PREFIX.matcher(prefix).matches() || prefix.startsWith("/") || prefix.endsWith("/")) {
      throw r.bad("mqtt.topic_prefix", prefix, "use letters, digits and single '/' separators, no MQTT wildcards");
    }
    String ca = r.str("mqtt.ca_file");
    if (!ca.isEmpty() && !Files.isReadable(Path.of(ca))) {
      throw r.bad("mqtt.ca_file", ca, "the file is missing or unreadable");
    }
    AgentConfig.Mqtt mqtt = new AgentConfig.Mqtt(
        mqttUrl.isEmpty() ? null : r.url("mqtt.url", "mqtt", "mqtts"), r.str("mqtt.username"),
        r.secret("mqtt.password_file"), prefix, r.secret("mqtt.command_secret_file"), ca.isEmpty() ? null : Path.of(ca));
    String dockerHost = r.nonEmpty("docker.host");
    if (!dockerHost.matches("(unix|tcp)://.+")) {
      throw r.bad("docker.host", dockerHost, "use unix:///var/run/docker.sock or tcp://host:port");
    }
    return new AgentConfig(hostId, Path.of(r.nonEmpty("state_dir")), service, registry, deploy, http, webhooks, mqtt,
        new AgentConfig.Docker(dockerHost), notify(r), fleet(r, mqtt));
  }

  private static AgentConfig.Fleet fleet(Reader r, AgentConfig.Mqtt mqtt) {
    String group = r.str("fleet.group");
    if (!group.isEmpty() && !HOST_ID.matcher(group).matches()) {
      throw r.bad("fleet.group", group, "use letters, digits, '.', '_' and '-' (it becomes an MQTT topic level)");
    }
    if (!group.isEmpty() && !mqtt.enabled()) {
      throw r.bad("fleet.group", group, "a group rolls out over MQTT, and mqtt.url is empty: set mqtt.url, or set"
          + " fleet.group to \"\" to roll out alone");
    }
    int wave = r.integer("fleet.wave", 0, 1000);
    Duration soak = r.duration("fleet.soak");
    Duration timeout = r.positiveDuration("fleet.wave_timeout");
    if (!group.isEmpty() && timeout.compareTo(soak) <= 0) {
      throw r.bad("fleet.wave_timeout", r.str("fleet.wave_timeout"), "must be longer than fleet.soak ("
          + r.str("fleet.soak") + "), or no later wave could ever start");
    }
    return new AgentConfig.Fleet(group, wave, soak, timeout);
  }

  /** The agent's own PostgreSQL connection, checked only when service.shared_database is true. */
  private static AgentConfig.DatabaseServer databaseServer(Reader r, String database) {
    String host = r.str("service.database_host");
    String port = r.str("service.database_port");
    String user = r.str("service.database_user");
    if (!user.isEmpty() && !user.matches("[A-Za-z0-9_.-]{1,63}")) {
      throw r.bad("service.database_user", user, "give a PostgreSQL role name (letters, digits, '_', '.', '-')");
    }
    String coordination = r.nonEmpty("service.coordination_database");
    if (!coordination.matches("[a-z_][a-z0-9_]{0,62}")) {
      throw r.bad("service.coordination_database", coordination, "use lower-case letters, digits and '_' (at most 63)");
    }
    if (coordination.equals(database)) {
      throw r.bad("service.coordination_database", coordination, "must not be service.database: a rollback restores that "
          + "database from its safety copy, which would erase the shared verdicts (the default odoo_agent is fine)");
    }
    Secret password = r.secret("service.database_password_file");
    if (password == null) {
      throw r.bad("service.database_password_file", r.str("service.database_password_file"), "service.shared_database is true, "
          + "so the agent connects to PostgreSQL itself: put the password of service.database_user (the role in odoo.conf's "
          + "db_user by default) in this file");
    }
    return new AgentConfig.DatabaseServer(host.isEmpty() ? null : host,
        port.isEmpty() ? null : r.integer("service.database_port", 1, 65535), user.isEmpty() ? null : user, password, coordination);
  }

  private static AgentConfig.Notify notify(Reader r) {
    Secret url = r.secret("notify.webhook_url_file");
    if (url != null) {
      URI u = null;
      try {
        u = new URI(url.reveal());
      } catch (URISyntaxException e) {
        // reported below without the value: the URL holds a token
      }
      if (u == null || u.getHost() == null || !List.of("http", "https").contains(u.getScheme())) {
        throw r.bad("notify.webhook_url_file", r.str("notify.webhook_url_file"),
            "the file must hold one http:// or https:// URL with a host (the chat's incoming-webhook URL)");
      }
    }
    List<String> on = r.list("notify.on");
    for (String o : on) {
      if (!NOTIFY_OUTCOMES.contains(o)) {
        throw r.bad("notify.on", o, "each entry must be one of " + String.join(", ", NOTIFY_OUTCOMES));
      }
    }
    return new AgentConfig.Notify(url, on);
  }

  /** The registry token, or null for anonymous pulls: an empty username with an absent or empty token file. */
  private static Secret registryToken(Reader r) {
    String user = r.str("registry.username");
    String file = r.str("registry.password_file");
    Secret token = r.optionalSecret("registry.password_file");
    if (!user.isEmpty() && token == null) {
      throw new ConfigException("config key registry.username = \"" + user + "\" (from " + r.origin.get("registry.username")
          + ") needs a token, but registry.password_file = \"" + file + "\" (from " + r.origin.get("registry.password_file")
          + ") is " + (file.isEmpty() ? "empty" : "missing or an empty file") + ": put the registry token for this user in that file"
          + " (/etc/odoo-agent/credentials/registry-token under systemd), or set registry.username to \"\" for anonymous pulls");
    }
    if (user.isEmpty() && token != null) {
      throw new ConfigException("config key registry.password_file = \"" + token.source() + "\" holds a registry token, but"
          + " registry.username is empty (from " + r.origin.get("registry.username") + "): set registry.username to the"
          + " token's user, or empty the token file for anonymous pulls");
    }
    return token;
  }

  private static String localHostName() {
    String h = System.getenv("HOSTNAME");
    if (h != null && !h.isBlank()) {
      return h.trim();
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }

  /** Typed access to the raw values, each error naming the key, the value, its source and the fix. */
  private static final class Reader {
    private final Map<String, Object> v;
    private final Map<String, String> origin;
    private final UnaryOperator<Path> credentials;

    Reader(Map<String, Object> v, Map<String, String> origin, UnaryOperator<Path> credentials) {
      this.v = v;
      this.origin = origin;
      this.credentials = credentials;
    }

    ConfigException bad(String key, String value, String fix) {
      return new ConfigException("config key " + key + " = \"" + value + "\" (from " + origin.get(key) + "): " + fix);
    }

    String str(String key) {
      return String.valueOf(v.get(key)).trim();
    }

    String nonEmpty(String key) {
      String s = str(key);
      if (s.isEmpty()) {
        throw bad(key, s, "must not be empty");
      }
      return s;
    }

    @SuppressWarnings("unchecked")
    List<String> list(String key) {
      return List.copyOf((List<String>) v.get(key));
    }

    Duration duration(String key) {
      try {
        return Durations.parse(str(key));
      } catch (IllegalArgumentException e) {
        throw bad(key, str(key), "not a duration (use e.g. 500ms, 90s, 5m, 1h, or 0)");
      }
    }

    Duration positiveDuration(String key) {
      Duration d = duration(key);
      if (d.isZero()) {
        throw bad(key, str(key), "must be greater than 0");
      }
      return d;
    }

    int integer(String key, int min, int max) {
      try {
        int n = Integer.parseInt(str(key));
        if (n >= min && n <= max) {
          return n;
        }
      } catch (NumberFormatException e) {
        // fall through to the error naming the range
      }
      throw bad(key, str(key), "must be a whole number from " + min + " to " + max);
    }

    boolean bool(String key) {
      String s = str(key).toLowerCase(Locale.ROOT);
      if (s.equals("true") || s.equals("false")) {
        return Boolean.parseBoolean(s);
      }
      throw bad(key, str(key), "must be true or false");
    }

    MaintenanceWindow window(String key) {
      try {
        return MaintenanceWindow.parse(str(key));
      } catch (IllegalArgumentException e) {
        throw bad(key, str(key), e.getMessage());
      }
    }

    /** An enum constant as the config spells it: START_FIRST is start-first. */
    static String word(Enum<?> e) {
      return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    <E extends Enum<E>> E choice(String key, Class<E> type) {
      String s = str(key);
      for (E e : type.getEnumConstants()) {
        if (word(e).equalsIgnoreCase(s)) {
          return e;
        }
      }
      String allowed = Arrays.stream(type.getEnumConstants()).map(Reader::word).collect(Collectors.joining(" | "));
      throw bad(key, s, "must be one of " + allowed);
    }

    URI url(String key, String... schemes) {
      String s = str(key);
      try {
        URI u = new URI(s);
        if (u.getHost() != null && Arrays.asList(schemes).contains(u.getScheme())) {
          return u;
        }
      } catch (URISyntaxException e) {
        // fall through to the error naming the form
      }
      throw bad(key, s, "must be a URL with scheme " + String.join(" or ", schemes) + " and a host");
    }

    AgentConfig.HostPort hostPort(String key) {
      String s = str(key);
      int colon = s.lastIndexOf(':');
      if (colon > 0) {
        try {
          int port = Integer.parseInt(s.substring(colon + 1));
          if (port >= 0 && port <= 65535) {
            return new AgentConfig.HostPort(s.substring(0, colon), port);
          }
        } catch (NumberFormatException e) {
          // fall through to the error naming the form
        }
      }
      throw bad(key, s, "must be host:port, e.g. 127.0.0.1:9780");
    }

    long size(String key) {
      var m = SIZE.matcher(str(key));
      if (!m.matches()) {
        throw bad(key, str(key), "must be a size such as 65536, 512KiB or 1MiB");
      }
      long n = Long.parseLong(m.group(1));
      String unit = m.group(2) == null ? "B" : m.group(2);
      long mult = switch (unit) {
        case "KiB" -> 1024L;
        case "MiB" -> 1024L * 1024;
        case "GiB" -> 1024L * 1024 * 1024;
        default -> 1L;
      };
      return n * mult;
    }

    /** Reads a {@code *_file} secret: absent default file = feature off; an explicitly set missing file is an error. */
    Secret secret(String key) {
      String s = str(key);
      if (s.isEmpty()) {
        return null;
      }
      Path p = credentials.apply(Path.of(s));
      if (!Files.exists(p)) {
        if (origin.get(key).equals("default")) {
          return null;
        }
        throw bad(key, s, "the secret file does not exist (create it, or set the key to \"\" to turn this off)");
      }
      String value = read(key, s, p);
      if (value.isEmpty()) {
        throw bad(key, s, "the secret file " + p + " is empty");
      }
      return new Secret(p, value);
    }

    /** Like {@link #secret} but a missing or empty file is simply no secret (the registry token: anonymous pulls). */
    Secret optionalSecret(String key) {
      String s = str(key);
      Path p = s.isEmpty() ? null : credentials.apply(Path.of(s));
      if (p == null || !Files.exists(p)) {
        return null;
      }
      String value = read(key, s, p);
      return value.isEmpty() ? null : new Secret(p, value);
    }

    private String read(String key, String s, Path p) {
      try {
        return Files.readString(p, StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw bad(key, s, "the secret file " + p + " cannot be read (" + e.getClass().getSimpleName() + "); check its permissions");
      }
    }
  }
}
