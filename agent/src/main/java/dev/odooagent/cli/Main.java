package dev.odooagent.cli;

import dev.odooagent.Agent;
import dev.odooagent.config.AgentConfig;
import dev.odooagent.config.ConfigException;
import dev.odooagent.config.ConfigLoader;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The {@code odoo-agent} command line: the daemon and the client commands of CONTRACT.md. */
@Command(name = "odoo-agent", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Health-gated, rollback-safe deploys of an Odoo image.",
    subcommands = {Main.Run.class, Main.CheckConfig.class, Main.Status.class, Main.History.class, Main.Deploy.class,
        Main.Pin.class, Main.Unpin.class, Main.Rollback.class, Main.Approve.class})
public final class Main {
  static final String DEFAULT_CONFIG = "/etc/odoo-agent/agent.yaml";
  /** The exit code of {@code run} for a configuration error (sysexits' EX_CONFIG); the unit does not restart on it. */
  static final int EX_CONFIG = 78;

  /** Entry point; exits 0 ok, 1 refused or failed, 2 usage, 78 a configuration error at {@code run}. */
  public static void main(String[] args) {
    configureLogging();
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
      cmd.getErr().println("odoo-agent: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
      return 1;
    });
    System.exit(cl.execute(args));
  }

  private static void configureLogging() {
    System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
    System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSX");
    System.setProperty("org.slf4j.simpleLogger.showThreadName", "false");
    System.setProperty("org.slf4j.simpleLogger.showShortLogName", "true");
    System.setProperty("org.slf4j.simpleLogger.levelInBrackets", "true");
    System.setProperty("org.slf4j.simpleLogger.log.com.github.dockerjava", "warn");
    System.setProperty("org.slf4j.simpleLogger.log.io.netty", "warn");
    System.setProperty("org.slf4j.simpleLogger.log.io.vertx", "warn");
    // a probe of a stopping container resets its connection; the probe reports that itself
    System.setProperty("org.slf4j.simpleLogger.log.io.vertx.core.net.impl.ConnectionBase", "off");
    // vertx-mqtt logs a stack trace per failed connect; the bridge logs its own one-line retries
    System.setProperty("org.slf4j.simpleLogger.log.io.vertx.mqtt", "off");
    System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.SLF4JLogDelegateFactory");
  }

  static String version() {
    try (InputStream in = Main.class.getResourceAsStream("/odoo-agent.properties")) {
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "dev");
    } catch (IOException | NullPointerException e) {
      return "dev";
    }
  }

  /** Supplies --version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"odoo-agent " + version()};
    }
  }

  /** Options shared by every command that reads the config. */
  static class WithConfig {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "config file (default: " + DEFAULT_CONFIG + " if it exists)")
    Path config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    ConfigLoader.Loaded load() {
      Path file = config;
      if (file == null && Files.exists(Path.of(DEFAULT_CONFIG))) {
        file = Path.of(DEFAULT_CONFIG);
      }
      return new ConfigLoader(System.getenv()).load(file);
    }

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    PrintWriter err() {
      return spec.commandLine().getErr();
    }
  }

  @Command(name = "run", description = "Run the daemon.")
  static final class Run extends WithConfig implements java.util.concurrent.Callable<Integer> {
    @Override
    public Integer call() throws InterruptedException {
      AgentConfig cfg;
      try {
        cfg = load().config();
      } catch (ConfigException e) {
        err().println("odoo-agent: configuration error: " + e.getMessage());
        return EX_CONFIG;
      }
      Vertx vertx = Vertx.vertx();
      Agent agent = new Agent(cfg, version());
      CountDownLatch started = new CountDownLatch(1);
      Throwable[] failure = new Throwable[1];
      vertx.deployVerticle(agent).onComplete(ar -> {
        failure[0] = ar.cause();
        started.countDown();
      });
      started.await();
      if (failure[0] != null) {
        err().println("odoo-agent: " + failure[0].getMessage());
        vertx.close();
        return 1;
      }
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        CountDownLatch done = new CountDownLatch(1);
        vertx.close().onComplete(x -> done.countDown());
        try {
          done.await(55, TimeUnit.SECONDS);   // a deploy in flight gets up to 40 s to reach a step boundary (TimeoutStopSec=60)
        } catch (InterruptedException ignored) {
          Thread.currentThread().interrupt();
        }
        stopped.countDown();
      }));
      stopped.await();
      return 0;
    }
  }

  @Command(name = "check-config", description = "Validate the config and print it with secrets masked.")
  static final class CheckConfig extends WithConfig implements java.util.concurrent.Callable<Integer> {
    @Override
    public Integer call() {
      try {
        ConfigLoader.Loaded loaded = load();
        out().print(loaded.describe());
        out().println("# config OK");
        return 0;
      } catch (ConfigException e) {
        err().println("odoo-agent: " + e.getMessage());
        return 1;
      }
    }
  }

  /** Base of the commands that call the admin API. */
  abstract static class Client extends WithConfig implements java.util.concurrent.Callable<Integer> {
    HttpResponse<String> call(String method, String path, JsonObject body, boolean auth) throws IOException, InterruptedException {
      AgentConfig cfg = load().config();
      String host = cfg.http().listen().host();
      if (host.equals("0.0.0.0") || host.equals("::")) {
        host = "127.0.0.1";
      }
      HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://" + host + ":" + cfg.http().listen().port() + path))
          .timeout(Duration.ofSeconds(30));
      if (auth) {
        req.header("Authorization", "Bearer " + adminToken(cfg));
      }
      req.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.encode()));
      if (body != null) {
        req.header("Content-Type", "application/json");
      }
      try {
        return HttpClient.newHttpClient().send(req.build(), HttpResponse.BodyHandlers.ofString());
      } catch (java.net.ConnectException e) {
        throw new IOException("the agent does not answer on " + cfg.http().listen() + " (is `odoo-agent run` running? check http.listen)");
      }
    }

    /** The admin token, from the same credential file the unit loads (see ConfigLoader's credential rule). */
    static String adminToken(AgentConfig cfg) {
      if (cfg.http().adminToken() == null) {
        throw new ConfigException("no admin token: http.admin_token_file names no file, and there is no admin-token in the"
            + " credentials/ directory next to the config file (" + ConfigLoader.INSTALLED_CREDENTIALS + " for the installed"
            + " agent.yaml; systemd/install generates it), or point http.admin_token_file at the token");
      }
      return cfg.http().adminToken().reveal();
    }

    int command(String path, JsonObject body) throws IOException, InterruptedException {
      return command(path, body, null);
    }

    /** Posts a command; with {@code --wait}, follows the deploy it queued to its verdict. */
    int command(String path, JsonObject body, WaitOption wait) throws IOException, InterruptedException {
      HttpResponse<String> r = call("POST", path, body, true);
      JsonObject j = parse(r.body());
      if (r.statusCode() == 202) {
        String id = j.getString("deploy_id");
        out().println(id == null ? "ok: nothing to deploy" : "accepted: deploy " + id);
        if (id != null && wait != null && wait.wait) {
          out().flush();
          return new Follow(out(), err()).follow(load().config(), id);
        }
        return 0;
      }
      err().println("odoo-agent: " + j.getString("error", "HTTP " + r.statusCode()));
      return 1;
    }

    static JsonObject parse(String s) {
      try {
        return new JsonObject(s);
      } catch (RuntimeException e) {
        return new JsonObject();
      }
    }

    static JsonObject target(String ref) {
      return ref.startsWith("sha256:") ? new JsonObject().put("digest", ref) : new JsonObject().put("tag", ref);
    }
  }

  /** {@code --wait}: follow the queued deploy to its verdict. */
  static final class WaitOption {
    @Option(names = "--wait", description = "stream the deploy's steps and exit 0 on success, 1 on a rollback or failure")
    boolean wait;
  }

  @Command(name = "status", description = "Show the current and previous image, state, pin, health and last deploy.")
  static final class Status extends Client {
    @Option(names = "--json", description = "print the raw JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
      HttpResponse<String> r = call("GET", "/status", null, false);
      JsonObject s = parse(r.body());
      if (json) {
        out().println(s.encodePrettily());
        return 0;
      }
      out().printf("host:      %s%n", s.getString("host"));
      out().printf("state:     %s%s%n", s.getString("state"), s.getBoolean("deploy_in_progress", false) ? " (deploy in progress)" : "");
      out().printf("health:    %s%n", s.getString("health"));
      out().printf("current:   %s%n", image(s.getJsonObject("current")));
      out().printf("previous:  %s%n", image(s.getJsonObject("previous")));
      out().printf("pinned:    %s%n", s.getJsonObject("pinned") == null ? "no" : image(s.getJsonObject("pinned")));
      JsonObject p = s.getJsonObject("pending");
      out().printf("pending:   %s%n", p == null ? "no" : image(p) + " (" + p.getString("reason") + ")");
      JsonObject d = s.getJsonObject("last_deploy");
      out().printf("last:      %s%n", d == null ? "none" : d.getString("id") + " " + d.getString("outcome") + " "
          + image(d.getJsonObject("from")) + " -> " + image(d.getJsonObject("to"))
          + (d.getString("reason") == null ? "" : " (" + d.getString("reason") + ")"));
      return 0;
    }
  }

  static String image(JsonObject i) {
    if (i == null) {
      return "none";
    }
    return (i.getString("tag") == null ? "" : i.getString("tag")) + "@" + i.getString("digest");
  }

  @Command(name = "history", description = "The deploy journal, newest first.")
  static final class History extends Client {
    @Option(names = "-n", defaultValue = "20", description = "how many (default 20)")
    int n;

    @Override
    public Integer call() throws Exception {
      HttpResponse<String> r = call("GET", "/history?limit=" + n, null, false);
      if (r.statusCode() != 200) {
        err().println("odoo-agent: " + parse(r.body()).getString("error", "HTTP " + r.statusCode()));
        return 1;
      }
      JsonArray a = new JsonArray(r.body());
      for (int i = 0; i < a.size(); i++) {
        JsonObject d = a.getJsonObject(i);
        out().printf("%s  %-11s %s -> %s  %s%n", d.getString("id"), d.getString("outcome"), image(d.getJsonObject("from")),
            image(d.getJsonObject("to")), d.getString("reason") == null ? "" : d.getString("reason"));
      }
      return 0;
    }
  }

  @Command(name = "deploy", description = "Deploy a tag or sha256:DIGEST now (honours a pin unless --force).")
  static final class Deploy extends Client {
    @Parameters(paramLabel = "TAG|sha256:DIGEST")
    String ref;

    @Option(names = "--force", description = "deploy even while a pin holds")
    boolean force;

    @CommandLine.Mixin
    WaitOption wait;

    @Override
    public Integer call() throws Exception {
      return command("/deploy", target(ref).put("force", force), wait);
    }
  }

  @Command(name = "pin", description = "Hold a version (deploys it if not running).")
  static final class Pin extends Client {
    @Parameters(paramLabel = "TAG|sha256:DIGEST")
    String ref;

    @CommandLine.Mixin
    WaitOption wait;

    @Override
    public Integer call() throws Exception {
      return command("/pin", target(ref), wait);
    }
  }

  @Command(name = "unpin", description = "Resume following the channel.")
  static final class Unpin extends Client {
    @Override
    public Integer call() throws Exception {
      return command("/unpin", new JsonObject());
    }
  }

  @Command(name = "approve", description = "Deploy the pending version (approval mode, or waiting for the maintenance window) now.")
  static final class Approve extends Client {
    @Override
    public Integer call() throws Exception {
      return command("/approve", new JsonObject());
    }
  }

  @Command(name = "rollback", description = "Go back to the previous good image. After a deploy that upgraded modules, "
      + "say what happens to the database: --restore-database or --code-only.")
  static final class Rollback extends Client {
    @picocli.CommandLine.ArgGroup(exclusive = true)
    Mode mode;

    @CommandLine.Mixin
    WaitOption wait;

    /** The two answers to "what happens to the database". */
    static final class Mode {
      @Option(names = "--restore-database", description = "put back the database and filestore from the copy taken before the upgrade")
      boolean restore;

      @Option(names = "--code-only", description = "keep the database as it is and run the older code on it")
      boolean codeOnly;
    }

    @Override
    public Integer call() throws Exception {
      JsonObject plan = parse(call("GET", "/rollback", null, false).body());
      if (plan.getString("error") != null) {
        err().println("odoo-agent: " + plan.getString("error"));
        return 1;
      }
      JsonObject options = plan.getJsonObject("options", new JsonObject());
      String chosen = mode == null ? null : mode.restore ? "restore_database" : "code_only";
      out().printf("rollback: %s -> %s%n", image(plan.getJsonObject("from")), image(plan.getJsonObject("to")));
      if (chosen == null && plan.getBoolean("needs_choice", false)) {
        err().println("odoo-agent: the running version upgraded modules " + plan.getJsonArray("upgraded").encode()
            + "; nothing was done. Choose what happens to the database:");
        err().println("  --restore-database  " + options.getString("restore_database", "unavailable: " + plan.getString("restore_unavailable")));
        err().println("  --code-only         " + options.getString("code_only"));
        return 1;
      }
      String loses = options.getString(chosen == null ? "code_only" : chosen);
      if (loses != null) {
        out().println("database: " + loses);
      }
      return command("/rollback", chosen == null ? new JsonObject() : new JsonObject().put("mode", chosen), wait);
    }
  }
}
