package dev.odooagent.it;

import static dev.odooagent.it.TestBed.await;
import static dev.odooagent.it.TestBed.docker;
import static dev.odooagent.it.TestBed.dockerQuiet;
import static dev.odooagent.it.TestBed.env;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The image image/build makes (on the stand-in base) keeps its contract: it renders odoo.conf from the environment,
 * refuses bad settings, keeps secrets out of logs and metadata, declares the seed's health check and labels, and
 * carries the module map the agent's {@code deploy.upgrade: changed} reads.
 */
class OdooImageKeepsItsContractIT {
  static final Path ROOT = Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
  static final String REPO = TestBed.image();
  static final String TAG_A = "it-img-a";
  static final String TAG_B = "it-img-b";
  /** The one module whose version B bumps; the other one must stay as it is. */
  static final String BUMPED = "tbwa_brand";
  static final String KEPT = "ipai_core";
  static final String OLD_VERSION = "18.0.1.0.0";
  static final String NEW_VERSION = "18.0.1.0.1";
  static final String B_VERSION = "it-img-b-1.0";
  static final String B_CREATED = "2025-06-01T12:34:56Z";
  static final String RUN = Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);

  static String base;
  static String head;
  static Path work;
  static Path addonsA;
  static Path addonsB;
  static Path dockerConfig;
  static Instant builtAfter;
  static Instant builtBefore;
  static String digestA;
  static String digestB;
  static String odooUid;
  static final List<String> containers = new ArrayList<>();
  static final List<Path> tempDirs = new ArrayList<>();

  @BeforeAll
  static void build() throws IOException {
    base = TestBed.ENV.getOrDefault("STANDIN_BASE", "odoo-standin:v1");
    docker("image", "inspect", "--format", "{{.Id}}", base);
    work = Files.createTempDirectory("it-img");
    addonsA = copyTree(ROOT.resolve("agent/src/test/resources/addons/v1"), work.resolve("addons-a"));
    addonsB = copyTree(ROOT.resolve("agent/src/test/resources/addons/v1"), work.resolve("addons-b"));
    Path manifest = addonsB.resolve(BUMPED).resolve("__manifest__.py");
    String text = Files.readString(manifest);
    assertTrue(text.contains("'version': '" + OLD_VERSION + "'"), text);
    Files.writeString(manifest, text.replace("'version': '" + OLD_VERSION + "'", "'version': '" + NEW_VERSION + "'"));
    // Files outside any module: in the image (so in every anonymous /mnt/extra-addons volume of its containers), in no
    // module's hash. They tell this run's volumes from every other.
    Files.writeString(addonsA.resolve(marker("a")), RUN + "\n");
    Files.writeString(addonsB.resolve(marker("b")), RUN + "\n");
    // A stray compiled file must neither change the module's hash nor make the agent upgrade it.
    Path pyc = addonsB.resolve(KEPT).resolve("__pycache__/__init__.cpython-311.pyc");
    Files.createDirectories(pyc.getParent());
    Files.write(pyc, new byte[] {0x6f, 0x0d, 0x0d, 0x0a, 1, 2, 3});

    // A private docker config, so the test bed's registry credentials do not linger in ~/.docker.
    dockerConfig = Files.createTempDirectory("it-img-docker");
    Process login = new ProcessBuilder("docker", "--config", dockerConfig.toString(), "login", env("REGISTRY"),
        "--username", env("REGISTRY_USER"), "--password-stdin")
        .redirectInput(Path.of(env("REGISTRY_PASSWORD_FILE")).toFile()).redirectErrorStream(true).start();
    String loginOut = new String(login.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      assertTrue(login.waitFor(60, TimeUnit.SECONDS) && login.exitValue() == 0, "docker login: " + loginOut);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }

    head = git("rev-parse", "HEAD");
    builtAfter = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    digestA = buildAndPush(addonsA, TAG_A);
    builtBefore = Instant.now();
    digestB = buildAndPush(addonsB, TAG_B, "--version", B_VERSION, "--created", B_CREATED);
    assertNotEquals(digestA, digestB);
    odooUid = docker("run", "--rm", "--network", "none", "--entrypoint", "id", ref(TAG_A), "-u", "odoo").strip() + "/"
        + docker("run", "--rm", "--network", "none", "--entrypoint", "id", ref(TAG_A), "-g", "odoo").strip();
  }

  @AfterAll
  static void cleanUp() throws IOException {
    for (String c : containers) {
      dockerQuiet("rm", "-f", "-v", c);
    }
    for (String[] t : new String[][] {{TAG_A, digestA}, {TAG_B, digestB}}) {
      String id = TestBed.exec(List.of("docker", "image", "inspect", "--format", "{{.Id}}", ref(t[0])), Map.of(),
          Duration.ofSeconds(30)).out().strip();
      dockerQuiet("rmi", ref(t[0]));
      if (!id.isEmpty()) {
        dockerQuiet("rmi", id);
      }
      if (t[1] != null) {
        deleteFromRegistry(t[1]);
      }
    }
    // Anonymous volumes of this run's images that outlived their containers (OdooFixture and the agent remove the
    // service containers without -v); the markers make them this run's only.
    for (String image : List.of("a", "b")) {
      for (String v : danglingVolumesWith(marker(image))) {
        dockerQuiet("volume", "rm", v);
      }
    }
    tempDirs.add(work);
    tempDirs.add(dockerConfig);
    for (Path dir : tempDirs) {
      if (dir != null) {
        try (Stream<Path> s = Files.walk(dir)) {
          s.sorted((x, y) -> y.compareTo(x)).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  // ------------------------------------------------------------------ odoo.conf

  static final String DEFAULT_CONF = """
      [options]
      addons_path = /mnt/extra-addons
      data_dir = /var/lib/odoo
      db_host = db
      db_port = 5432
      db_user = odoo
      db_password = %s
      admin_passwd = %s
      db_maxconn = 64
      workers = 4
      max_cron_threads = 2
      limit_memory_hard = 2684354560
      limit_memory_soft = 2147483648
      proxy_mode = True
      http_port = 8069
      """;

  static final String CUSTOM_CONF = """
      [options]
      addons_path = /mnt/extra-addons
      data_dir = /var/lib/odoo
      db_host = pg-primary.internal
      db_port = 6432
      db_user = odoo_prod
      db_password = %s
      admin_passwd = %s
      db_maxconn = 32
      workers = 9
      max_cron_threads = 0
      limit_memory_hard = 4294967296
      limit_memory_soft = 3221225472
      proxy_mode = False
      http_port = 8080
      """;

  @Test
  void withOnlyTheSecretsSetTheRenderedConfHoldsTheDocumentedDefaults() {
    String db = "it-img-db-" + RUN;
    String admin = "it-img-admin-" + RUN;
    Rendered r = render("it-img-conf-defaults", List.of("-e", "DB_PASSWORD=" + db, "-e", "ADMIN_PASSWD=" + admin));
    assertEquals(DEFAULT_CONF.formatted(db, admin), r.conf());
    assertEquals("-rw------- " + odooUid, r.modeAndOwner(), "odoo.conf is private to odoo");
    assertFalse(r.stderr().contains(db) || r.stderr().contains(admin), "a secret was printed: " + r.stderr());
  }

  @ParameterizedTest(name = "secrets as {0}")
  @ValueSource(strings = {"variables", "files"})
  void everyVariableOfTheEnvTableReachesTheConf(String form) throws IOException {
    // Characters a shell or printf would mangle if the entrypoint expanded the value a second time.
    String db = "it-img-db $HOME'\"\\%s;#" + RUN;
    String admin = "it-img-admin-" + RUN + "-`id`";
    List<String> args = new ArrayList<>(List.of("-e", "DB_HOST=pg-primary.internal", "-e", "DB_PORT=6432",
        "-e", "DB_USER=odoo_prod", "-e", "WORKERS=9", "-e", "MAX_CRON_THREADS=0", "-e", "DB_MAXCONN=32",
        "-e", "LIMIT_MEMORY_HARD=4294967296", "-e", "LIMIT_MEMORY_SOFT=3221225472", "-e", "PROXY_MODE=False",
        "-e", "ODOO_PORT=8080"));
    if (form.equals("files")) {
      // As Docker secrets arrive: root-owned, world-readable, with the trailing newline of `echo secret > file`.
      args.addAll(List.of("-e", "DB_PASSWORD_FILE=/run/secrets/db_password", "-v", secretFile("db-" + form, db) + ":/run/secrets/db_password:ro",
          "-e", "ADMIN_PASSWD_FILE=/run/secrets/admin_passwd", "-v", secretFile("admin-" + form, admin) + ":/run/secrets/admin_passwd:ro"));
    } else {
      args.addAll(List.of("-e", "DB_PASSWORD=" + db, "-e", "ADMIN_PASSWD=" + admin));
    }
    Rendered r = render("it-img-conf-" + form, args);
    assertEquals(CUSTOM_CONF.formatted(db, admin), r.conf());
    assertEquals("-rw------- " + odooUid, r.modeAndOwner());
    assertFalse(r.stderr().contains(db) || r.stderr().contains(admin), "a secret was printed: " + r.stderr());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "DB_PASSWORD missing       | ADMIN_PASSWD=it-img-secret-a                                | odoo-entrypoint: DB_PASSWORD is not set (set DB_PASSWORD or DB_PASSWORD_FILE)",
      "DB_PASSWORD empty         | DB_PASSWORD= ADMIN_PASSWD=it-img-secret-a                   | odoo-entrypoint: DB_PASSWORD is not set (set DB_PASSWORD or DB_PASSWORD_FILE)",
      "ADMIN_PASSWD missing      | DB_PASSWORD=it-img-secret-d                                 | odoo-entrypoint: ADMIN_PASSWD is not set (set ADMIN_PASSWD or ADMIN_PASSWD_FILE)",
      "WORKERS not a number      | DB_PASSWORD=it-img-secret-d ADMIN_PASSWD=it-img-secret-a WORKERS=four | odoo-entrypoint: WORKERS must be a whole number, got 'four'",
      "DB_PORT out of range      | DB_PASSWORD=it-img-secret-d ADMIN_PASSWD=it-img-secret-a DB_PORT=70000 | odoo-entrypoint: DB_PORT *",
      "DB_MAXCONN zero           | DB_PASSWORD=it-img-secret-d ADMIN_PASSWD=it-img-secret-a DB_MAXCONN=0 | odoo-entrypoint: DB_MAXCONN *",
      "PROXY_MODE not a boolean  | DB_PASSWORD=it-img-secret-d ADMIN_PASSWD=it-img-secret-a PROXY_MODE=yes | odoo-entrypoint: PROXY_MODE *",
      "DB_PASSWORD_FILE absent   | DB_PASSWORD_FILE=/run/secrets/nope ADMIN_PASSWD=it-img-secret-a | odoo-entrypoint: DB_PASSWORD_FILE *",
      "both DB_PASSWORD forms    | DB_PASSWORD=it-img-secret-d DB_PASSWORD_FILE=/etc/hostname ADMIN_PASSWD=it-img-secret-a | odoo-entrypoint: both DB_PASSWORD and DB_PASSWORD_FILE *",
      "DB_USER postgres          | DB_PASSWORD=it-img-secret-d ADMIN_PASSWD=it-img-secret-a DB_USER=postgres | odoo-entrypoint: DB_USER *"})
  void aMissingOrBadSettingStopsTheContainerBeforeOdooWithOneLineNamingIt(String name, String envs, String message) {
    String container = "it-img-bad-" + name.strip().toLowerCase().replaceAll("[^a-z0-9]+", "-");
    containers.add(container);
    List<String> cmd = new ArrayList<>(List.of("docker", "run", "--name", container, "--network", "none"));
    for (String e : envs.strip().split(" +")) {
      cmd.addAll(List.of("-e", e));
    }
    cmd.add(ref(TAG_A)); // the image's own command: odoo would serve (and never exit) if the entrypoint let it through
    TestBed.Result r = TestBed.exec(cmd, Map.of(), Duration.ofSeconds(90));
    assertEquals(64, r.code(), name + ": " + r.out() + r.err());
    assertEquals("", r.out(), "odoo must not have run");
    List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
    assertEquals(1, lines.size(), "one line on stderr: " + r.err());
    if (message.endsWith(" *")) { // documented only as "naming the variable": a prefix
      assertTrue(lines.get(0).startsWith(message.substring(0, message.length() - 1)), lines.get(0));
    } else {
      assertEquals(message, lines.get(0));
    }
    assertFalse(r.err().contains("it-img-secret-"), "a secret was printed: " + r.err());
    dockerQuiet("rm", "-f", "-v", container);
  }

  // ------------------------------------------------------------------ health

  @Test
  void theImageDeclaresTheSeedsHealthCheckOnWebHealth() {
    JsonObject hc = new JsonObject(docker("image", "inspect", "--format", "{{json .Config.Healthcheck}}", ref(TAG_A)));
    assertEquals(new JsonArray().add("CMD-SHELL").add("curl -fsS \"http://127.0.0.1:${ODOO_PORT:-8069}/web/health\" || exit 1"),
        hc.getJsonArray("Test"));
    assertEquals(Duration.ofSeconds(30).toNanos(), hc.getLong("Interval"));
    assertEquals(Duration.ofSeconds(10).toNanos(), hc.getLong("Timeout"));
    assertEquals(Duration.ofSeconds(60).toNanos(), hc.getLong("StartPeriod"));
    assertEquals(3, hc.getInteger("Retries"));
    assertEquals("odoo", docker("image", "inspect", "--format", "{{.Config.User}}", ref(TAG_A)).strip());
  }

  static final String HEALTHY = "it-img-health";
  static final String ADMIN_H = "it-img-admin-h-" + RUN;

  /**
   * A long-running container on the test bed network, configured only through the env table, with fast probes. The start
   * period is 1 s, not 0 s: Docker reads 0 as "not set" and keeps the image's 60 s, during which failures do not count.
   */
  static synchronized void startHealthy() throws IOException {
    if (containers.contains(HEALTHY)) {
      return;
    }
    containers.add(HEALTHY);
    dockerQuiet("rm", "-f", "-v", HEALTHY);
    docker("run", "-d", "--name", HEALTHY, "--network", env("DOCKER_NETWORK"),
        "--health-interval", "2s", "--health-start-period", "1s",
        "-e", "DB_HOST=" + env("DOCKER_NETWORK_GATEWAY"), "-e", "DB_PORT=" + env("PG_PORT"), "-e", "DB_USER=" + env("PG_USER"),
        "-e", "DB_PASSWORD_FILE=/run/secrets/db_password",
        "-v", secretFile("pg", TestBed.secret("PG_PASSWORD_FILE")) + ":/run/secrets/db_password:ro",
        "-e", "ADMIN_PASSWD=" + ADMIN_H, "-e", "ODOO_PORT=8071", "-e", "WORKERS=2", "-e", "MAX_CRON_THREADS=1",
        "--memory", "768m", ref(TAG_A));
  }

  @Test
  void theHealthCheckTurnsHealthyAgainstTheTestBedDatabase() throws IOException {
    startHealthy();
    await(HEALTHY + " healthy (" + HEALTHY + " logs: docker logs " + HEALTHY + ")", Duration.ofSeconds(90),
        () -> health(HEALTHY).equals("healthy"));
    // Only interval and start period were overridden: the command, timeout and retries are the image's.
    JsonObject image = new JsonObject(docker("image", "inspect", "--format", "{{json .Config.Healthcheck}}", ref(TAG_A)));
    JsonObject container = inspect(HEALTHY).getJsonObject("Config").getJsonObject("Healthcheck");
    assertEquals(image.getJsonArray("Test"), container.getJsonArray("Test"));
    assertEquals(image.getLong("Timeout"), container.getLong("Timeout"));
    assertEquals(image.getInteger("Retries"), container.getInteger("Retries"));
    assertEquals(Duration.ofSeconds(2).toNanos(), container.getLong("Interval"));
    JsonObject state = inspect(HEALTHY).getJsonObject("State").getJsonObject("Health");
    JsonArray log = state.getJsonArray("Log");
    JsonObject last = log.getJsonObject(log.size() - 1);
    assertEquals(0, last.getInteger("ExitCode"));
    // The image's own probe ran (curl -fsS prints the body), on ODOO_PORT 8071 rather than the default 8069.
    assertTrue(last.getString("Output").contains("\"status\": \"pass\""), last.encode());
    TestBed.Result at8069 = TestBed.exec(List.of("docker", "exec", HEALTHY, "curl", "-fsS", "http://127.0.0.1:8069/web/health"),
        Map.of(), Duration.ofSeconds(30));
    assertNotEquals(0, at8069.code(), "Odoo listens on ODOO_PORT only");
    // The conf rendered from DB_HOST/DB_PORT/DB_USER/DB_PASSWORD_FILE reaches the test bed PostgreSQL.
    String db = docker("exec", HEALTHY, "curl", "-fsS", "http://127.0.0.1:8071/web/health?db_server_status=1");
    assertEquals(new JsonObject().put("status", "pass").put("db_server_status", true), new JsonObject(db));
  }

  @Test
  void theHealthCheckTurnsUnhealthyWhenOdooDoesNotAnswerOnOdooPort() {
    String name = "it-img-unhealthy";
    containers.add(name);
    dockerQuiet("rm", "-f", "-v", name);
    // Odoo serves, but on 8099 while ODOO_PORT (and so the probe) says 8069.
    docker("run", "-d", "--name", name, "--network", "none", "--health-interval", "2s", "--health-start-period", "1s",
        "-e", "DB_PASSWORD=it-img-secret-d", "-e", "ADMIN_PASSWD=it-img-secret-a", "-e", "WORKERS=0",
        ref(TAG_A), "odoo", "--http-port", "8099");
    await("odoo answering on 8099 in " + name, Duration.ofSeconds(60), () -> TestBed.exec(
        List.of("docker", "exec", name, "curl", "-fsS", "http://127.0.0.1:8099/web/health"), Map.of(), Duration.ofSeconds(20)).code() == 0);
    await(name + " unhealthy", Duration.ofSeconds(90), () -> health(name).equals("unhealthy"));
    JsonArray log = inspect(name).getJsonObject("State").getJsonObject("Health").getJsonArray("Log");
    assertNotEquals(0, log.getJsonObject(log.size() - 1).getInteger("ExitCode"));
    dockerQuiet("rm", "-f", "-v", name);
  }

  // ------------------------------------------------------------------ secrets

  @Test
  void noSecretInLogsLabelsOrInspectBeyondTheEnvTheOperatorPassed() throws IOException {
    startHealthy();
    String dbE = "it-img-db-e-" + RUN;
    String adminFileE = "it-img-admin-file-" + RUN;
    String pg = TestBed.secret("PG_PASSWORD_FILE");
    assertTrue(pg.length() >= 8, "the test bed's PostgreSQL password is too short to grep for");
    String name = "it-img-secrets";
    containers.add(name);
    dockerQuiet("rm", "-f", "-v", name);
    docker("run", "-d", "--name", name, "--network", "none", "-e", "DB_PASSWORD=" + dbE,
        "-e", "ADMIN_PASSWD_FILE=/run/secrets/admin_passwd", "-v", secretFile("admin-e", adminFileE) + ":/run/secrets/admin_passwd:ro",
        "-e", "WORKERS=2", ref(TAG_A));
    for (String c : List.of(name, HEALTHY)) {
      String port = c.equals(HEALTHY) ? "8071" : "8069";
      await("odoo answering in " + c, Duration.ofSeconds(60), () -> TestBed.exec(List.of("docker", "exec", c, "curl", "-fsS",
          "http://127.0.0.1:" + port + "/web/health"), Map.of(), Duration.ofSeconds(20)).code() == 0);
    }
    // The secrets did go somewhere: into the conf. So a grep that finds nothing elsewhere means something.
    String confE = docker("exec", name, "cat", "/etc/odoo/odoo.conf");
    assertTrue(confE.contains("db_password = " + dbE + "\n") && confE.contains("admin_passwd = " + adminFileE + "\n"), "conf of " + name);
    String confH = docker("exec", HEALTHY, "cat", "/etc/odoo/odoo.conf");
    assertTrue(confH.contains("db_password = " + pg + "\n") && confH.contains("admin_passwd = " + ADMIN_H + "\n"), "conf of " + HEALTHY);
    List<String> secrets = List.of(dbE, adminFileE, pg, ADMIN_H);

    for (String c : List.of(name, HEALTHY)) {
      TestBed.Result logs = TestBed.exec(List.of("docker", "logs", c), Map.of(), Duration.ofSeconds(30));
      String all = logs.out() + logs.err();
      assertTrue(all.contains("odoo-entrypoint: rendered /etc/odoo/odoo.conf"), "the entrypoint's log is in docker logs: " + all);
      assertTrue(all.contains("Odoo version"), "Odoo's log is in docker logs: " + all);
      assertNoSecret(secrets, all, "docker logs " + c);
      assertNoSecret(secrets, docker("top", c, "-eo", "pid,args"), "process arguments of " + c);
    }
    for (String tag : List.of(TAG_A, TAG_B)) {
      assertNoSecret(secrets, docker("image", "inspect", ref(tag)), "docker image inspect " + tag + " (labels, env, history)");
      assertNoSecret(secrets, docker("history", "--no-trunc", ref(tag)), "docker history " + tag);
    }
    // docker inspect holds exactly the env the operator passed: DB_PASSWORD=… for one, ADMIN_PASSWD=… for the other.
    assertOnlyInOperatorEnv(name, secrets, List.of("DB_PASSWORD=" + dbE));
    assertOnlyInOperatorEnv(HEALTHY, secrets, List.of("ADMIN_PASSWD=" + ADMIN_H));
    dockerQuiet("rm", "-f", "-v", name);
  }

  static void assertOnlyInOperatorEnv(String container, List<String> secrets, List<String> passed) {
    JsonObject c = inspect(container);
    JsonArray env = c.getJsonObject("Config").getJsonArray("Env");
    for (String p : passed) {
      assertTrue(env.contains(p), container + " env lacks " + p);
    }
    JsonArray rest = new JsonArray();
    env.forEach(e -> {
      if (!passed.contains(String.valueOf(e))) {
        rest.add(e);
      }
    });
    c.getJsonObject("Config").put("Env", rest);
    assertNoSecret(secrets, c.encode(), "docker inspect " + container + " beyond the passed env");
  }

  static void assertNoSecret(List<String> secrets, String text, String where) {
    for (String s : secrets) {
      assertFalse(text.contains(s), "a secret (" + s.substring(0, Math.min(7, s.length())) + "…) is in " + where);
    }
  }

  @Test
  void odooIsPidOneSoDockerStopReachesIt() {
    // Its own container: stopping the shared healthy one would take it from the tests that use it.
    String name = "it-img-pid1";
    containers.add(name);
    dockerQuiet("rm", "-f", "-v", name);
    docker("run", "-d", "--name", name, "--network", "none", "-e", "DB_PASSWORD=it-img-secret-d", "-e", "ADMIN_PASSWD=it-img-secret-a",
        "-e", "WORKERS=2", ref(TAG_A));
    await("odoo answering in " + name, Duration.ofSeconds(60), () -> TestBed.exec(List.of("docker", "exec", name, "curl", "-fsS",
        "http://127.0.0.1:8069/web/health"), Map.of(), Duration.ofSeconds(20)).code() == 0);
    String[] argv = docker("exec", name, "cat", "/proc/1/cmdline").split("\0");
    List<String> args = List.of(argv);
    assertTrue(args.stream().anyMatch(a -> a.endsWith("/odoo") || a.equals("odoo")) && args.contains("-c")
        && args.contains("/etc/odoo/odoo.conf") && args.stream().noneMatch(a -> a.contains("entrypoint")),
        "PID 1 is odoo itself, not the entrypoint shell: " + args);
    // A shell left as PID 1 would ignore SIGTERM and be SIGKILLed (137) at the stop timeout.
    docker("stop", "--time", "30", name);
    JsonObject state = inspect(name).getJsonObject("State");
    assertFalse(state.getBoolean("Running"));
    assertNotEquals(137, state.getInteger("ExitCode"), "odoo did not get SIGTERM: " + state.encode());
    assertFalse(state.getBoolean("OOMKilled"));
  }

  // ------------------------------------------------------------------ labels

  @Test
  void theLabelsNameTheRevisionSourceVersionCreatedAndModules() throws IOException {
    JsonObject a = labels(TAG_A);
    JsonObject b = labels(TAG_B);
    for (JsonObject l : List.of(a, b)) {
      assertEquals(head, l.getString("org.opencontainers.image.revision"));
      assertEquals("https://github.com/jgtolentino/odoo-ce", l.getString("org.opencontainers.image.source"));
      assertEquals(base, l.getString("org.opencontainers.image.base.name"));
    }
    assertEquals(git("describe", "--tags", "--always"), a.getString("org.opencontainers.image.version"), "default version");
    String created = a.getString("org.opencontainers.image.created");
    assertTrue(created.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"), "RFC 3339 UTC: " + created);
    Instant at = Instant.parse(created);
    assertFalse(at.isBefore(builtAfter) || at.isAfter(builtBefore), created + " is not the build's time");
    assertEquals(B_VERSION, b.getString("org.opencontainers.image.version"));
    assertEquals(B_CREATED, b.getString("org.opencontainers.image.created"));

    JsonObject modsA = new JsonObject(a.getString("odoo.modules"));
    JsonObject modsB = new JsonObject(b.getString("odoo.modules"));
    assertEquals(expectedModules(addonsA), modsA);
    assertEquals(expectedModules(addonsB), modsB);
    assertEquals(expectedModules(addonsA).encode(), a.getString("odoo.modules"), "compact JSON, keys sorted");
    assertEquals(OLD_VERSION, modsA.getJsonObject(BUMPED).getString("version"));
    assertEquals(NEW_VERSION, modsB.getJsonObject(BUMPED).getString("version"));
    assertNotEquals(modsA.getJsonObject(BUMPED).getString("hash"), modsB.getJsonObject(BUMPED).getString("hash"));
    assertEquals(modsA.getJsonObject(KEPT), modsB.getJsonObject(KEPT), "a __pycache__ file does not change a module");
    // The README's shell recipe gives the same hash.
    for (Path addons : List.of(addonsA, addonsB)) {
      JsonObject mods = addons == addonsA ? modsA : modsB;
      for (String m : mods.fieldNames()) {
        String sh = TestBed.sh("sh", "-c", "cd '" + addons.resolve(m) + "' && find . -type f ! -name '*.pyc' ! -path '*/__pycache__/*'"
            + " | sed 's|^\\./||' | LC_ALL=C sort | xargs -d '\\n' sha256sum | sha256sum");
        assertEquals(mods.getJsonObject(m).getString("hash"), sh.strip().split(" ")[0], "README recipe for " + m);
      }
    }
    // The addons the label describes are the ones in the image.
    String inImage = docker("run", "--rm", "--network", "none", "--entrypoint", "cat", ref(TAG_B),
        "/mnt/extra-addons/" + BUMPED + "/__manifest__.py");
    assertEquals(Files.readString(addonsB.resolve(BUMPED).resolve("__manifest__.py")), inImage);
    TestBed.Result pyc = TestBed.exec(List.of("docker", "run", "--rm", "--network", "none", "--entrypoint", "ls", ref(TAG_B),
        "/mnt/extra-addons/" + KEPT + "/__pycache__"), Map.of(), Duration.ofSeconds(60));
    assertNotEquals(0, pyc.code(), "__pycache__ is not baked into the image");
  }

  /** The odoo.modules map as image/README.md defines it, computed independently of image/build. */
  static JsonObject expectedModules(Path addons) throws IOException {
    TreeMap<String, JsonObject> out = new TreeMap<>();
    try (Stream<Path> dirs = Files.list(addons)) {
      for (Path dir : dirs.filter(d -> Files.isRegularFile(d.resolve("__manifest__.py"))).toList()) {
        String manifest = Files.readString(dir.resolve("__manifest__.py"));
        java.util.regex.Matcher v = java.util.regex.Pattern.compile("'version':\\s*'([^']+)'").matcher(manifest);
        assertTrue(v.find(), "version in " + dir);
        List<String> files;
        try (Stream<Path> s = Files.walk(dir)) {
          files = s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString())
              .filter(p -> !p.endsWith(".pyc") && !p.startsWith("__pycache__/") && !p.contains("/__pycache__/"))
              .sorted().toList();
        }
        StringBuilder listing = new StringBuilder();
        for (String f : files) {
          listing.append(sha256(Files.readAllBytes(dir.resolve(f)))).append("  ").append(f).append('\n');
        }
        out.put(dir.getFileName().toString(), new JsonObject()
            .put("hash", sha256(listing.toString().getBytes(StandardCharsets.UTF_8))).put("version", v.group(1)));
      }
    }
    JsonObject json = new JsonObject();
    out.forEach(json::put);
    return json;
  }

  // ------------------------------------------------------------------ deploy A -> B

  @Test
  void deployingAToBWithUpgradeChangedUpgradesExactlyTheBumpedModule() throws Exception {
    OdooFixture fixture = new OdooFixture("it-img-deploy", "it_img_deploy", 18360, false);
    try (OdooFixture odoo = fixture) {
      odoo.fresh(TAG_A).start(TAG_A);
      assertEquals(digestA, odoo.runningDigest());
      Map<String, String> before = moduleVersions(odoo);
      assertEquals(OLD_VERSION, before.get(BUMPED));
      assertEquals(OLD_VERSION, before.get(KEPT));
      AgentProcess agent = new AgentProcess("img", odoo, 19360, 19370)
          .set("deploy.upgrade", "changed")
          // The repository's images are shared with concurrent ITs: prune none of them.
          .set("deploy.keep_images", "100")
          // Generous bounds for a loaded 2-core machine: these are limits, not expectations.
          .set("deploy.health_timeout", "90s")
          .set("deploy.upgrade_timeout", "120s");
      tempDirs.add(agent.dir);
      agent.start();
      try {
        // The agent probes this fixture and no other Odoo that happens to listen on the default 127.0.0.1:8069.
        String effective = TestBed.sh(ROOT.resolve("agent/bin/odoo-agent").toString(), "check-config", "--config", agent.config.toString());
        for (String line : List.of("health_url: '" + odoo.healthUrl() + "'", "upgrade: 'changed'", "keep_images: '100'")) {
          assertTrue(effective.contains("  " + line + "  # from " + agent.config), "effective config lacks " + line + ":\n" + effective);
        }
        String id = agent.deploy(new JsonObject().put("tag", TAG_B));
        JsonObject record;
        try {
          record = agent.awaitVerdict(id, Duration.ofSeconds(180));
        } catch (AssertionError e) {
          // The agent's directory is removed at cleanup: keep what it said in the report.
          throw new AssertionError(e.getMessage() + "\njournal:\n" + agent.journal().stream()
              .map(j -> j.getString("at") + " " + j.getString("step") + " " + j.getString("state")).collect(Collectors.joining("\n"))
              + "\nagent log:\n" + agent.log(), e);
        }
        assertEquals("success", record.getString("outcome"), record.encodePrettily() + "\n" + agent.log());
        assertEquals(new JsonArray().add(BUMPED), record.getJsonArray("modules"), "modules of " + record.encode());
        assertEquals(digestA, record.getJsonObject("from").getString("digest"));
        assertEquals(digestB, record.getJsonObject("to").getString("digest"));

        Map<String, String> after = moduleVersions(odoo);
        assertEquals(NEW_VERSION, after.get(BUMPED), "the bumped module was upgraded");
        assertEquals(OLD_VERSION, after.get(KEPT), "the other module is unchanged");
        assertEquals(before.keySet(), after.keySet());
        // Odoo was asked for that module only: its log names it and never the other.
        String tail = agent.journal().stream().filter(j -> id.equals(j.getString("deploy_id")))
            .map(j -> j.getJsonObject("record").getString("upgrade_tail")).filter(t -> t != null).reduce((x, y) -> y)
            .orElseGet(() -> fail("no upgrade_tail in the journal of " + id));
        assertTrue(tail.contains("updating module " + BUMPED), tail);
        assertFalse(tail.contains("module " + KEPT), tail);

        // The service now runs B, with B's labels and B's addons (not A's anonymous /mnt/extra-addons volume).
        assertEquals(digestB, odoo.runningDigest());
        assertEquals(labels(TAG_B).getString("odoo.modules"),
            inspect(odoo.name).getJsonObject("Config").getJsonObject("Labels").getString("odoo.modules"));
        assertTrue(docker("exec", odoo.name, "cat", "/mnt/extra-addons/" + BUMPED + "/__manifest__.py").contains(NEW_VERSION));
        // The one-shots the agent ran from B (upgrade, drop of the safety copy) took their anonymous volumes with them.
        assertEquals(List.of(), danglingVolumesWith(marker("b")), "anonymous volumes left by the agent's one-shots of " + TAG_B);
      } finally {
        agent.close();
      }
    }
  }

  static Map<String, String> moduleVersions(OdooFixture odoo) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : odoo.modules().split("\n")) {
      int eq = line.indexOf('=');
      out.put(line.substring(0, eq), line.substring(eq + 1));
    }
    return out;
  }

  // ------------------------------------------------------------------ helpers

  static String marker(String image) {
    return "it-img-run-" + RUN + "-" + image;
  }

  /** Volumes no container uses whose top directory holds {@code file}. */
  static List<String> danglingVolumesWith(String file) {
    List<String> out = new ArrayList<>();
    for (String v : docker("volume", "ls", "-q", "--filter", "dangling=true").lines().filter(l -> !l.isBlank()).toList()) {
      TestBed.Result mp = TestBed.exec(List.of("docker", "volume", "inspect", "--format", "{{.Mountpoint}}", v), Map.of(),
          Duration.ofSeconds(30));
      if (mp.code() == 0 && Files.exists(Path.of(mp.out().strip(), file))) {
        out.add(v);
      }
    }
    return out;
  }

  static String ref(String tag) {
    return REPO + ":" + tag;
  }

  /** image/build on the stand-in base, pushed to the test bed registry; returns the pushed digest. */
  static String buildAndPush(Path addons, String tag, String... extra) {
    List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("image/build").toString(), "--quiet", "--no-default-tags",
        "--image", REPO, "--base", base, "--addons", addons.toString(), "--tag", tag, "--push"));
    cmd.addAll(List.of(extra));
    TestBed.Result r = TestBed.exec(cmd, Map.of("DOCKER_CONFIG", dockerConfig.toString()), Duration.ofMinutes(5));
    assertEquals(0, r.code(), "image/build " + tag + ": " + r.err() + r.out());
    // Agents of concurrent ITs prune this repository's images down to their deploy.keep_images; an image that a
    // container uses cannot be removed, so a created (never started) container keeps this one until cleanup.
    String holder = "it-img-hold-" + tag;
    containers.add(holder);
    dockerQuiet("rm", "-f", "-v", holder);
    docker("create", "--name", holder, "--network", "none", ref(tag));
    List<String> lines = r.out().lines().filter(l -> !l.isBlank()).toList();
    assertEquals(1, lines.size(), "one pushed reference: " + r.out());
    String prefix = ref(tag) + "@";
    assertTrue(lines.get(0).startsWith(prefix), lines.get(0));
    String digest = lines.get(0).substring(prefix.length());
    assertTrue(digest.matches("sha256:[0-9a-f]{64}"), digest);
    // Never let a temp tag share a manifest with a test bed tag: cleanup deletes the manifest by digest.
    assertFalse(TestBed.ENV.entrySet().stream().anyMatch(e -> e.getKey().startsWith("DIGEST_") && e.getValue().equals(digest)),
        tag + " has the digest of a test bed image");
    return digest;
  }

  static void deleteFromRegistry(String digest) {
    if (TestBed.ENV.entrySet().stream().anyMatch(e -> e.getKey().startsWith("DIGEST_") && e.getValue().equals(digest))) {
      return;
    }
    String name = REPO.substring(REPO.indexOf('/') + 1);
    String auth = Base64.getEncoder().encodeToString((env("REGISTRY_USER") + ":" + TestBed.secret("REGISTRY_PASSWORD_FILE"))
        .getBytes(StandardCharsets.UTF_8));
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create(env("REGISTRY_URL") + "/v2/" + name + "/manifests/" + digest))
          .header("Authorization", "Basic " + auth).timeout(Duration.ofSeconds(20)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 202 && r.statusCode() != 404) {
        System.err.println("ImageIT: could not delete " + name + "@" + digest + " from the registry: " + r.statusCode() + " " + r.body());
      }
    } catch (IOException e) {
      System.err.println("ImageIT: could not delete " + digest + " from the registry: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** What one render left behind: the conf file's text, its mode and owner, and the entrypoint's stderr. */
  record Rendered(String conf, String modeAndOwner, String stderr) {}

  /**
   * Runs the image as the operator would, with its entrypoint and the command {@code odoo --version}: the entrypoint
   * renders the conf and execs odoo, which prints its version and exits. The conf is then read with docker cp.
   */
  static Rendered render(String name, List<String> args) {
    containers.add(name);
    dockerQuiet("rm", "-f", "-v", name);
    List<String> cmd = new ArrayList<>(List.of("docker", "run", "--name", name, "--network", "none"));
    cmd.addAll(args);
    cmd.addAll(List.of(ref(TAG_A), "odoo", "--version"));
    TestBed.Result r = TestBed.exec(cmd, Map.of(), Duration.ofSeconds(90));
    assertEquals(0, r.code(), name + ": " + r.out() + r.err());
    assertTrue(r.out().startsWith("Odoo Server "), "the entrypoint exec'd odoo: " + r.out());
    assertTrue(r.err().contains("odoo-entrypoint: rendered /etc/odoo/odoo.conf"), r.err());
    String conf = TestBed.sh("sh", "-c", "docker cp " + name + ":/etc/odoo/odoo.conf - | tar -xO");
    String listing = TestBed.sh("sh", "-c", "docker cp " + name + ":/etc/odoo/odoo.conf - | tar -tv --numeric-owner").strip();
    String[] f = listing.split(" +");
    dockerQuiet("rm", "-f", "-v", name);
    return new Rendered(conf, f[0] + " " + f[1], r.err());
  }

  /** A secret as a file on the host, root-owned 0444 with a trailing newline, for a read-only bind mount. */
  static Path secretFile(String name, String value) throws IOException {
    Path dir = work.resolve("secrets");
    Files.createDirectories(dir);
    Path p = dir.resolve(name);
    Files.writeString(p, value + "\n");
    Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("r--r--r--"));
    return p;
  }

  static JsonObject inspect(String container) {
    return new JsonArray(docker("inspect", container)).getJsonObject(0);
  }

  static String health(String container) {
    JsonObject h = inspect(container).getJsonObject("State").getJsonObject("Health");
    return h == null ? "none" : h.getString("Status");
  }

  static JsonObject labels(String tag) {
    return new JsonObject(docker("image", "inspect", "--format", "{{json .Config.Labels}}", ref(tag)));
  }

  static String git(String... args) {
    List<String> cmd = new ArrayList<>(List.of("git", "-C", ROOT.toString()));
    cmd.addAll(List.of(args));
    return TestBed.sh(cmd.toArray(String[]::new)).strip();
  }

  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static Path copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
    return to;
  }
}
