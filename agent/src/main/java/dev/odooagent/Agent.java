package dev.odooagent;

import dev.odooagent.config.AgentConfig;
import dev.odooagent.config.Secret;
import dev.odooagent.deploy.AgentState;
import dev.odooagent.deploy.Commands;
import dev.odooagent.deploy.Coordination;
import dev.odooagent.deploy.Deployer;
import dev.odooagent.deploy.Engine;
import dev.odooagent.deploy.GateHooks;
import dev.odooagent.deploy.HealthGate;
import dev.odooagent.deploy.Journal;
import dev.odooagent.deploy.Resolver;
import dev.odooagent.deploy.StateStore;
import dev.odooagent.docker.DockerEngine;
import dev.odooagent.docker.DockerJavaEngine;
import dev.odooagent.docker.RegistryAuth;
import dev.odooagent.event.EventCounter;
import dev.odooagent.event.Poller;
import dev.odooagent.fleet.HostGate;
import dev.odooagent.event.WebhookServer;
import dev.odooagent.http.AdminServer;
import dev.odooagent.http.DeployFeed;
import dev.odooagent.metrics.Metrics;
import dev.odooagent.mqtt.Command;
import dev.odooagent.mqtt.MqttBridge;
import dev.odooagent.mqtt.MqttSettings;
import dev.odooagent.notify.Notifier;
import dev.odooagent.notify.Verdicts;
import dev.odooagent.odoo.HealthProbe;
import dev.odooagent.odoo.Observation;
import dev.odooagent.odoo.OdooHealthGate;
import dev.odooagent.odoo.OdooObserver;
import dev.odooagent.odoo.OdooConf;
import dev.odooagent.pg.PgSharedDatabase;
import dev.odooagent.policy.FleetGate;
import dev.odooagent.policy.Hold;
import dev.odooagent.policy.TriggerPolicy;
import dev.odooagent.registry.ImageRef;
import dev.odooagent.registry.RegistryClient;
import dev.odooagent.registry.Resilience;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon as a verticle, wired from its config: {@link #start} completes once the listeners are bound, MQTT is
 * connected or retrying, and the journal is reconciled.
 */
public final class Agent extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
  private static final Duration KEPT_COPY_CHECK = Duration.ofMinutes(1);
  private static final Duration STOP_GRACE = Duration.ofSeconds(40);
  /** How often a version pending its maintenance window is checked (the window opening releases it). */
  private static final Duration PENDING_CHECK = Duration.ofSeconds(30);

  /** The container engine and the health gate an agent drives: Docker's and Odoo's own, or stand-ins (the fleet simulation). */
  public interface Backends {
    /** The container engine for {@code cfg}. */
    DockerEngine docker(Vertx vertx, AgentConfig cfg);

    /** The gate a new container must pass; {@code probe} asks the service's health URL. */
    HealthGate gate(Vertx vertx, AgentConfig cfg, DockerEngine docker, HealthProbe probe);
  }

  /** dockerd at docker.host, and Odoo's health endpoint. */
  public static final Backends REAL = new Backends() {
    @Override
    public DockerEngine docker(Vertx vertx, AgentConfig cfg) {
      return new DockerJavaEngine(vertx, cfg.docker().host(), cfg.deploy().upgradeTimeout().plus(Duration.ofMinutes(15)));
    }

    @Override
    public HealthGate gate(Vertx vertx, AgentConfig cfg, DockerEngine docker, HealthProbe probe) {
      return new OdooHealthGate(vertx, docker, probe, cfg.deploy().healthInterval(), cfg.deploy().healthyThreshold());
    }
  };

  private final AgentConfig cfg;
  private final String version;
  private final Backends backends;
  private final Metrics metrics;
  private final List<Runnable> stops = new ArrayList<>();
  private DockerEngine docker;
  private OdooObserver observer;
  private AdminServer admin;
  private WebhookServer webhooks;
  private MqttBridge mqtt;
  private Engine engine;
  private StateStore store;
  private PgSharedDatabase shared;
  private Resolver resolver;
  private FleetGate fleet = FleetGate.ALONE;

  /** An agent for {@code cfg}; deploy it on a Vert.x instance to start it. */
  public Agent(AgentConfig cfg, String version) {
    this(cfg, version, REAL);
  }

  /** An agent for {@code cfg} that drives {@code backends}. */
  public Agent(AgentConfig cfg, String version, Backends backends) {
    this.cfg = cfg;
    this.version = version;
    this.backends = backends;
    this.metrics = new Metrics(cfg.hostId(), version);
  }

  /** Connects to the engine, finds the service container, binds the listeners, connects MQTT and reconciles the journal. */
  @Override
  public Future<Void> start() {
    docker = backends.docker(vertx, cfg);
    return docker.ping()
        .compose(api -> docker.inspectContainer(cfg.service().container()))
        .compose(found -> {
          Journal journal = new Journal(vertx, cfg.stateDir());
          // mid-deploy the service container may be renamed aside; recovery puts it back
          if (found.isEmpty() && journal.unfinished() == null) {
            return Future.failedFuture(new IllegalStateException("container " + cfg.service().container()
                + " does not exist on " + cfg.docker().host() + " (check service.container, or start Odoo first)"));
          }
          return databaseServer(found.map(c -> c.raw()).orElse(null)).compose(pg -> {
            build(journal, pg);
            return observer.start();
          });
        })
        .compose(this::recordFirstSight)
        .compose(x -> listen("http.listen", admin.start(cfg.http().listen().host(), cfg.http().listen().port())))
        .compose(x -> listen("webhooks.listen", webhooks.start(vertx)))
        .compose(x -> mqtt == null ? Future.succeededFuture() : mqtt.start())
        .compose(x -> engine.recover())
        .onSuccess(x -> {
          publishStatusChanges();
          long copies = vertx.setPeriodic(KEPT_COPY_CHECK.toMillis(), id -> engine.expireKeptCopy());
          stops.add(() -> vertx.cancelTimer(copies));
          // once now: the window may have opened while the agent was down
          engine.releaseDue();
          long pending = vertx.setPeriodic(PENDING_CHECK.toMillis(), id -> engine.releaseDue());
          stops.add(() -> vertx.cancelTimer(pending));
          LOG.info("odoo-agent {} watching container {} ({}) as host {}", version, cfg.service().container(),
              cfg.service().image(), cfg.hostId());
        });
  }

  private void build(Journal journal, PgConnectOptions sharedDatabase) {
    store = new StateStore(vertx, cfg.stateDir());
    HealthProbe probe = new HealthProbe(vertx, cfg.deploy().healthUrl(), cfg.deploy().healthInterval().plus(Duration.ofSeconds(3)));
    observer = new OdooObserver(vertx, docker, probe, metrics, cfg.service().container(), cfg.service().image(),
        cfg.deploy().healthInterval(), store::tagOf);
    // a FAILED verdict survives restarts until an operator acts
    AgentState.Machine machine = new AgentState.Machine(store.failed() != null ? AgentState.FAILED : AgentState.IDLE, (from, to) -> {
      LOG.info("state {} -> {}", from.word(), to.word());
      if (to == AgentState.IDLE || to == AgentState.FAILED) {
        // status and the "already running?" checks read the observation: refresh it now, not an interval later
        vertx.runOnContext(v -> observer.observe());
      }
    });
    resolver = resolver();
    DeployFeed feed = new DeployFeed(vertx);
    Verdicts verdicts = new Verdicts(vertx, cfg.hostId(), limit -> engine.history(limit)).listen(feed::verdict);
    if (cfg.fleet().enabled()) {
      fleet = new HostGate(cfg.fleet().group(), cfg.fleet().wave(), cfg.fleet().soak(), cfg.fleet().waveTimeout());
      verdicts.listen(v -> {
        if ("rolled_back".equals(v.outcome()) && v.to() != null && v.to().digest() != null && mqtt != null) {
          mqtt.publishRolledBack(v.to().digest(), v.reason() == null ? "rolled back" : v.reason());
        }
      });
    }
    if (cfg.notifications().webhookUrl() != null) {
      Notifier notifier = new Notifier(vertx, cfg.notifications().webhookUrl(), cfg.notifications().on(), secrets(), metrics, Notifier.BACKOFF);
      verdicts.listen(notifier::send);
      stops.add(notifier::close);
    }
    EventCounter counter = (source, result) -> metrics.event(source.label(), result);
    TriggerPolicy policy = new TriggerPolicy(cfg.service().track(), cfg.service().tagPattern());
    Deployer deployer = new Deployer(vertx, cfg, docker, resolver,
        backends.gate(vertx, cfg, docker, probe),
        new GateHooks(vertx, cfg.deploy().gateHooks(), cfg.deploy().gateTimeout()), journal, store, metrics,
        event -> {
          if (mqtt != null) {
            mqtt.publishEvent(event);
          }
          try {
            feed.event(event);
            verdicts.accept(event);
          } catch (RuntimeException e) {
            // reporters only report: a bug in one must not fail the deploy step that emitted the event
            LOG.warn("deploy {}: event not reported: {}", event.getString("deploy_id"), e.toString());
          }
        },
        machine, policy, cfg.service().image(), registryAuth());
    if (sharedDatabase != null) {
      shared = new PgSharedDatabase(vertx, sharedDatabase, cfg.service().database());
      deployer.sharing(new Coordination(vertx, shared, cfg.hostId()));
      stops.add(shared::close);
    }
    engine = new Engine(vertx, cfg.hostId(), cfg.service().track(), deployer, resolver, journal, store, metrics,
        policy, machine, observer::latest, observer::engineProblem, cfg.deploy().coalesceWindow(),
        new Hold(cfg.deploy().auto(), cfg.deploy().window()), Clock.systemUTC()).withFleet(fleet);
    admin = new AdminServer(vertx, metrics, engine, cfg.http().adminToken()).withFeed(feed);
    webhooks = new WebhookServer(new WebhookServer.Settings(cfg.webhooks().listen().host(), cfg.webhooks().listen().port(),
        cfg.webhooks().maxBody(), cfg.webhooks().githubSecret() == null ? null : cfg.webhooks().githubSecret().bytes(),
        reveal(cfg.webhooks().registryToken()), cfg.service().image(), cfg.webhooks().rateLimit()),
        cfg.webhooks().githubImage(), engine, counter, cfg.stateDir());
    if (cfg.mqtt().enabled()) {
      AgentConfig.Mqtt m = cfg.mqtt();
      mqtt = new MqttBridge(vertx, new MqttSettings(m.url().toString(), m.username(), reveal(m.password()), m.caFile(),
          m.topicPrefix(), cfg.hostId(), m.commandSecret() == null ? null : m.commandSecret().bytes(), cfg.stateDir(),
          cfg.service().image()), engine, counter, this::command, engine::status);
      if (fleet instanceof HostGate gate) {
        mqtt.withFleet(cfg.fleet().group(), cfg.fleet().wave(), cfg.fleet().soak(), gate, new MqttBridge.FleetListener() {
          @Override
          public void gateChanged() {
            engine.releaseDue();
          }

          @Override
          public void rolledBack(String digest, String host, String reason) {
            refuseForTheGroup(digest, host, reason);
          }
        });
      }
    }
    Poller poller = new Poller(vertx, cfg.service().track(), cfg.registry().pollInterval(), resolver::digestOf,
        this::runningDigest, engine, counter);
    poller.start();
    stops.add(poller::stop);
  }

  /**
   * The agent's own connection to the shared database's server (service.shared_database), with host, port and user
   * defaulting to the service container's odoo.conf; null when the database is not shared.
   */
  private Future<PgConnectOptions> databaseServer(JsonObject container) {
    AgentConfig.DatabaseServer s = cfg.service().server();
    if (!cfg.service().sharedDatabase()) {
      return Future.succeededFuture(null);
    }
    Future<Map<String, String>> conf = Future.succeededFuture(Map.of());
    if ((s.host() == null || s.port() == null || s.user() == null) && container != null) {
      String path = OdooConf.pathIn(container);
      conf = docker.readFile(container.getString("Id"), path).map(OdooConf::connection).otherwise(e -> {
        LOG.warn("cannot read {} from {} for the database connection ({}); set service.database_host", path,
            cfg.service().container(), e.getMessage());
        return Map.of();
      });
    }
    return conf.map(m -> PgSharedDatabase.options(s.host(), s.port(), s.user(), s.password().reveal(), s.coordination(), m));
  }

  /** What {@code /status} answers; read it on the agent's context. */
  public JsonObject status() {
    return engine.status();
  }

  /** Records a digest that another host of the fleet group rolled back, so that the policy refuses it here too. */
  private void refuseForTheGroup(String digest, String host, String reason) {
    if (store.rejectedBy(digest) != null) {
      return;
    }
    String why = TriggerPolicy.FLEET + " group " + cfg.fleet().group() + ": rolled back on host " + host + ": " + reason;
    LOG.info("fleet {}: {} is refused here: {}", cfg.fleet().group(), digest, why);
    store.rejected(digest, why).onComplete(x -> engine.releaseDue());
  }

  /** Remembers what runs when the agent first sees it, so status and history name its tag. */
  private Future<Void> recordFirstSight(Observation o) {
    JsonObject current = store.current();
    if (o.digest() != null && (current == null || !o.digest().equals(current.getString("digest")))) {
      return store.running(new JsonObject().put("tag", o.tag()).put("digest", o.digest()), o.startedAt());
    }
    return Future.succeededFuture();
  }

  private <T> Future<T> listen(String key, Future<T> bound) {
    return bound.recover(e -> Future.failedFuture(new IllegalStateException("cannot listen on " + key + ": " + e.getMessage())));
  }

  /** Republishes the retained MQTT status whenever it changes, and keeps the connection gauge current. */
  private void publishStatusChanges() {
    String[] last = {""};
    long timer = vertx.setPeriodic(1000, id -> {
      metrics.set("odoo_agent_mqtt_connected", mqtt != null && mqtt.connected());
      JsonObject status = engine.status();
      metrics.set("odoo_agent_ready", status.getBoolean("ready"));
      JsonObject f = status.getJsonObject("fleet");
      boolean waiting = f != null && f.getBoolean("waiting", false);
      metrics.set("odoo_agent_fleet_waiting", waiting);
      if (waiting) {
        // fleet.wave_timeout is checked by the release; a second is as late as giving up may come
        engine.releaseDue();
      }
      if (mqtt != null) {
        String now = status.encode();
        if (!now.equals(last[0])) {
          last[0] = now;
          mqtt.publishStatus(new JsonObject(now));
        }
      }
    });
    stops.add(() -> vertx.cancelTimer(timer));
  }

  private Future<String> command(Command c) {
    switch (c.action()) {
      case PIN:
        return inWaves(c).compose(x -> engine.pin(c.tag(), c.digest(), "mqtt"));
      case UNPIN:
        return engine.unpin("mqtt");
      case DEPLOY:
        return inWaves(c).compose(x -> engine.deploy(c.tag(), c.digest(), c.force(), "mqtt"));
      case ROLLBACK:
        return engine.rollback(Commands.RollbackMode.of(c.mode()), "mqtt");
      case APPROVE:
        return engine.approve("mqtt");
      default:
        return Future.succeededFuture(null);
    }
  }

  /**
   * A pin or deploy sent to every host ({@code P/all/cmd}) respects the fleet waves unless it says {@code "force": true}:
   * on a host whose wave may not start that version yet it is refused with the reason. A command to this one host is not.
   */
  private Future<Void> inWaves(Command c) {
    if (!c.toAll() || c.force() || !fleet.gated()) {
      return Future.succeededFuture();
    }
    Future<String> digest = c.digest() != null ? Future.succeededFuture(c.digest()) : resolver.digestOf(c.tag());
    return digest.compose(d -> {
      FleetGate.Wait wait = fleet.check(d, java.time.Instant.now());
      return wait == null ? Future.<Void>succeededFuture() : Future.failedFuture(new IllegalStateException("not on this"
          + " host yet (fleet.wave " + cfg.fleet().wave() + "): " + wait.reason() + "; P/all/cmd respects the waves,"
          + " send it with \"force\": true to act on every host at once"));
    });
  }

  private String runningDigest() {
    Observation o = observer.latest();
    return o.running() ? o.digest() : null;
  }

  /** Tag lookups through the registry client, retried with backoff and guarded by a circuit breaker. */
  private Resolver resolver() {
    RegistryClient client = new RegistryClient(vertx, cfg.registry().url().toString(),
        ImageRef.parse(cfg.service().image()).repository(), cfg.registry().username(), reveal(cfg.registry().password()));
    Resilience resilience = Resilience.forRegistry(vertx, Resilience.Settings.defaults());
    metrics.set("odoo_agent_registry_circuit_state", resilience.stateCode());
    resilience.circuitBreaker().getEventPublisher().onStateTransition(e ->
        metrics.set("odoo_agent_registry_circuit_state", Resilience.stateCode(e.getStateTransition().getToState())));
    return tag -> resilience.execute(() -> client.resolveDigest(tag));
  }

  private RegistryAuth registryAuth() {
    return cfg.registry().password() == null ? RegistryAuth.anonymous()
        : new RegistryAuth(cfg.registry().url().getAuthority(), cfg.registry().username(), cfg.registry().password().reveal());
  }

  /** Every secret value the agent holds; a notification replaces any it happens to contain. */
  private List<String> secrets() {
    return Stream.of(cfg.http().adminToken(), cfg.registry().password(), cfg.webhooks().githubSecret(),
        cfg.webhooks().registryToken(), cfg.mqtt().password(), cfg.mqtt().commandSecret(), cfg.notifications().webhookUrl())
        .map(Agent::reveal).filter(s -> s != null).toList();
  }

  private static String reveal(Secret s) {
    return s == null ? null : s.reveal();
  }

  /** Publishes the offline status, closes listeners and timers. */
  @Override
  public Future<Void> stop() {
    stops.forEach(Runnable::run);
    // the deploy in flight reaches a step boundary before the engine client closes (TimeoutStopSec is 60 s)
    Future<Void> quiet = engine == null ? Future.succeededFuture() : engine.quiesce(STOP_GRACE);
    return quiet.compose(q -> stopAdapters());
  }

  private Future<Void> stopAdapters() {
    if (observer != null) {
      observer.stop();
    }
    Future<Void> m = mqtt == null ? Future.succeededFuture() : mqtt.stop().otherwise(e -> null);
    return m.compose(x -> admin == null ? Future.succeededFuture() : admin.stop())
        .compose(x -> webhooks == null ? Future.succeededFuture() : webhooks.stop())
        .onComplete(x -> {
          if (docker instanceof DockerJavaEngine d) {
            d.close();
          }
        });
  }
}
