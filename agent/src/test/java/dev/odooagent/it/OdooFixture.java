package dev.odooagent.it;

import static dev.odooagent.it.TestBed.docker;
import static dev.odooagent.it.TestBed.dockerQuiet;
import static dev.odooagent.it.TestBed.env;
import static dev.odooagent.it.TestBed.psql;
import static dev.odooagent.it.TestBed.secret;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A compose-like stand-in Odoo: a user-defined network with an alias (or host networking), a named filestore
 * volume, a bind-mounted odoo.conf, a loopback port, compose labels and {@code restart: unless-stopped}. Behind a
 * proxy ({@link #behindProxy}) it has its own alias and no host port, as the compose stack runs it.
 */
final class OdooFixture implements AutoCloseable {
  final String name;
  final String database;
  final int port;
  final boolean hostNetwork;
  final String volume;
  final Path confDir;
  /** The digest the service container was started with. */
  String startedDigest;
  /** The network alias Odoo is reached by. */
  String alias = "odoo";
  /** Whether port 8069 is published on the host's loopback at {@link #port}. */
  boolean published = true;

  OdooFixture(String name, String database, int port, boolean hostNetwork) {
    this.name = name;
    this.database = database;
    this.port = port;
    this.hostNetwork = hostNetwork;
    this.volume = name + "-filestore";
    try {
      this.confDir = Files.createTempDirectory(name + "-conf");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reached only through a proxy, by {@code alias} on the bed network: no host port, health_url in its alias form. */
  OdooFixture behindProxy(String alias) {
    if (hostNetwork) {
      throw new IllegalStateException("a fixture on the host network cannot be behind a proxy");
    }
    this.alias = alias;
    this.published = false;
    return this;
  }

  private String dbHost() {
    return hostNetwork ? env("PG_HOST") : env("DOCKER_NETWORK_GATEWAY");
  }

  /** Removes any earlier run's container, volume and database, then installs the modules of {@code tag} in a fresh database. */
  OdooFixture fresh(String tag) throws IOException {
    prepare();
    psql("postgres", "DROP DATABASE IF EXISTS " + database);
    List<String> init = new ArrayList<>(List.of("run", "--rm"));
    init.addAll(common());
    init.addAll(List.of(TestBed.ref(tag), "odoo", "-d", database, "-i", "ipai_core,tbwa_brand", "--stop-after-init"));
    docker(init.toArray(String[]::new));
    return this;
  }

  /** A second host of {@code first}'s database: its own container, filestore and conf, on the database {@code first} made. */
  OdooFixture sharing(OdooFixture first) throws IOException {
    if (!first.database.equals(database)) {
      throw new IllegalArgumentException("a fixture sharing " + first.name + " must name its database " + first.database);
    }
    prepare();
    return this;
  }

  /** Removes any earlier run's container and volume, and writes the conf. */
  private void prepare() throws IOException {
    removeAll();
    docker("volume", "create", volume);
    Files.writeString(confDir.resolve("odoo.conf"), "[options]\n"
        + "db_host = " + dbHost() + "\ndb_port = " + env("PG_PORT") + "\ndb_user = " + env("PG_USER") + "\n"
        + "db_password = " + secret("PG_PASSWORD_FILE") + "\nadmin_passwd = it-admin\n"
        + "addons_path = /mnt/extra-addons\ndata_dir = /var/lib/odoo\nworkers = 2\nmax_cron_threads = 1\n"
        + "db_maxconn = 16\nlimit_memory_soft = 1073741824\nlimit_memory_hard = 1342177280\nhttp_port = " + (hostNetwork ? port : 8069) + "\n");
  }

  private List<String> common() {
    List<String> a = new ArrayList<>();
    if (hostNetwork) {
      a.addAll(List.of("--network", "host"));
    } else {
      a.addAll(List.of("--network", env("DOCKER_NETWORK"), "--network-alias", alias));
    }
    a.addAll(List.of("-v", volume + ":/var/lib/odoo", "-v", confDir.resolve("odoo.conf") + ":/etc/odoo/odoo.conf:ro",
        "-e", "DB_PASSWORD_FILE=/etc/odoo/odoo.conf", "-e", "ADMIN_PASSWD=it-admin"));
    return a;
  }

  /** Starts the service container from {@code tag}, as docker compose would. */
  OdooFixture start(String tag) {
    List<String> run = new ArrayList<>(List.of("run", "-d", "--name", name, "--restart", "unless-stopped",
        "--label", "com.docker.compose.project=it", "--label", "com.docker.compose.service=odoo",
        "--label", "com.docker.compose.oneoff=False", "--memory", "768m"));
    if (!hostNetwork && published) {
      run.addAll(List.of("-p", "127.0.0.1:" + port + ":8069"));
    }
    run.addAll(common());
    run.add(TestBed.ref(tag));
    docker(run.toArray(String[]::new));
    String probe = published ? healthUrl() : "http://" + address() + ":8069/web/health?db_server_status=1";
    // generous: ITs run side by side on two cores, and Odoo's first start is the busiest moment of a fixture
    TestBed.await(name + " healthy at " + probe, java.time.Duration.ofSeconds(120), () ->
        TestBed.exec(List.of("curl", "-sf", probe), java.util.Map.of(), java.time.Duration.ofSeconds(5)).code() == 0);
    startedDigest = runningDigest();
    return this;
  }

  /** deploy.health_url: the loopback port, or behind a proxy the alias form (each container probed at its own address). */
  String healthUrl() {
    return published ? "http://127.0.0.1:" + port + "/web/health?db_server_status=1"
        : "http://" + alias + ":8069/web/health?db_server_status=1";
  }

  /** The service container's address on the bed network. */
  String address() {
    return docker("inspect", "--format", "{{(index .NetworkSettings.Networks \"" + env("DOCKER_NETWORK") + "\").IPAddress}}", name).strip();
  }

  /** The service container's id. */
  String id() {
    return docker("inspect", "--format", "{{.Id}}", name).strip();
  }

  /** The running container's image digest in the test bed registry. */
  String runningDigest() {
    String imageId = docker("inspect", "--format", "{{.Image}}", name).strip();
    for (String rd : docker("image", "inspect", "--format", "{{join .RepoDigests \" \"}}", imageId).strip().split(" ")) {
      if (rd.startsWith(TestBed.image() + "@")) {
        return rd.substring(rd.indexOf('@') + 1);
      }
    }
    return null;
  }

  /** Files of the filestore volume, relative paths sorted, for before/after comparisons. */
  List<String> filestore() throws IOException {
    Path root = Path.of(docker("volume", "inspect", "--format", "{{.Mountpoint}}", volume).strip(), "filestore");
    if (!Files.exists(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
    }
  }

  /** Names of this fixture's containers: the service and the agent's aside and one-shot ones ({@code name__...}). */
  List<String> containers() {
    // not a bare prefix: it-op's would take in it-ops's containers, which a concurrent IT owns
    String out = docker("ps", "-a", "--filter", "name=" + namePattern(), "--format", "{{.Names}}").strip();
    return out.isEmpty() ? List.of() : List.of(out.split("\n"));
  }

  /** Safety copies of this fixture's database left on the server. */
  List<String> copies() {
    String out = psql("postgres", "SELECT datname FROM pg_database WHERE datname LIKE '" + database + "\\_\\_pre\\_%' ORDER BY 1");
    return out.isEmpty() ? List.of() : List.of(out.split("\n"));
  }

  /** The custom modules' versions after v1's and after v2's upgrade, as {@link #customModules()} prints them. */
  static final String V1_MODULES = "ipai_core=18.0.1.0.0\ntbwa_brand=18.0.1.0.0";
  static final String V2_MODULES = "ipai_core=18.0.1.1.0\ntbwa_brand=18.0.1.0.0";

  /** Module versions in ir_module_module without Odoo's own base, as "name=version" lines. */
  String customModules() {
    return modules().lines().filter(l -> !l.startsWith("base=")).reduce((a, b) -> a + "\n" + b).orElse("");
  }

  /** Module versions in ir_module_module, as "name=version" lines. */
  String modules() {
    return psql(database, "SELECT name || '=' || latest_version FROM ir_module_module ORDER BY name");
  }

  /** The docker name filter (a regular expression) that matches {@link #containers()}. */
  String namePattern() {
    return "^/" + name + "(__.*)?$";
  }

  void removeAll() {
    for (String c : containers()) {
      dockerQuiet("rm", "-f", c);
    }
    dockerQuiet("volume", "rm", "-f", volume);
  }

  @Override
  public void close() {
    removeAll();
    psql("postgres", "DROP DATABASE IF EXISTS " + database);
    for (String copy : copies()) {
      psql("postgres", "DROP DATABASE IF EXISTS " + copy);
    }
    try {
      // the conf holds the database password
      Files.deleteIfExists(confDir.resolve("odoo.conf"));
      Files.deleteIfExists(confDir);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
