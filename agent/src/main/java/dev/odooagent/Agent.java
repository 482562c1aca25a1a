package dev.odooagent;

import dev.odooagent.config.AgentConfig;
import dev.odooagent.deploy.AgentState;
import dev.odooagent.deploy.Deployer;
import dev.odooagent.deploy.Engine;
import dev.odooagent.deploy.GateHooks;
import dev.odooagent.deploy.Journal;
import dev.odooagent.deploy.Resolver;
import dev.odooagent.deploy.StateStore;
import dev.odooagent.docker.DockerJavaEngine;
import dev.odooagent.docker.RegistryAuth;
import dev.odooagent.http.AdminServer;
import dev.odooagent.metrics.Metrics;
import dev.odooagent.odoo.HealthProbe;
import dev.odooagent.odoo.OdooHealthGate;
import dev.odooagent.odoo.OdooObserver;
import dev.odooagent.policy.TriggerPolicy;
import dev.odooagent.registry.ImageRef;
import dev.odooagent.registry.RegistryClient;
import dev.odooagent.registry.Resilience;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wires the daemon from its config and starts it; {@link #start} completes once it serves. */
public final class Agent {
  private static final Logger LOG = LoggerFactory.getLogger(Agent.class);

  private final AgentConfig cfg;
  private final String version;
  private final Vertx vertx;
  private DockerJavaEngine docker;
  private OdooObserver observer;
  private AdminServer admin;
  private Engine engine;
  private Metrics metrics;
  private Resolver resolver;

  /** An agent for {@code cfg} on {@code vertx}. */
  public Agent(Vertx vertx, AgentConfig cfg, String version) {
    this.vertx = vertx;
    this.cfg = cfg;
    this.version = version;
  }

  /** Connects to the engine, finds the service container, binds the listeners and reconciles the journal. */
  public Future<Void> start() {
    metrics = new Metrics(cfg.hostId(), version);
    docker = new DockerJavaEngine(vertx, cfg.docker().host(), cfg.deploy().upgradeTimeout().plus(Duration.ofMinutes(15)));
    String repository = repositoryOf(cfg);
    return docker.ping()
        .compose(api -> docker.inspectContainer(cfg.service().container()))
        .compose(found -> {
          if (found.isEmpty()) {
            return Future.failedFuture(new IllegalStateException("container " + cfg.service().container()
                + " does not exist on " + cfg.docker().host() + " (check service.container, or start Odoo first)"));
          }
          StateStore store = new StateStore(cfg.stateDir());
          Journal journal = new Journal(vertx, cfg.stateDir());
          HealthProbe probe = new HealthProbe(vertx, cfg.deploy().healthUrl(), cfg.deploy().healthInterval().plus(Duration.ofSeconds(3)));
          observer = new OdooObserver(vertx, docker, probe, metrics, cfg.service().container(), repository,
              cfg.deploy().healthInterval(), store::tagOf);
          AgentState.Machine machine = new AgentState.Machine((from, to) -> LOG.info("state {} -> {}", from.word(), to.word()));
          Consumer<JsonObject> events = e -> LOG.debug("event {}", e.encode());
          Deployer deployer = new Deployer(cfg, docker, resolver(), new OdooHealthGate(vertx, docker, probe,
              cfg.deploy().healthInterval(), cfg.deploy().healthyThreshold()),
              new GateHooks(vertx, cfg.deploy().gateHooks(), Duration.ofMinutes(10)), journal, store, metrics, events, machine,
              repository, registryAuth());
          engine = new Engine(vertx, cfg.hostId(), cfg.service().track(), deployer, resolver(), journal, store, metrics,
              new TriggerPolicy(cfg.service().track(), cfg.service().tagPattern()), machine, observer::latest,
              cfg.deploy().coalesceWindow());
          admin = new AdminServer(vertx, metrics, engine, cfg.http().adminToken());
          return observer.start()
              .compose(o -> admin.start(cfg.http().listen().host(), cfg.http().listen().port()))
              .compose(port -> {
                LOG.info("admin listener on {}:{}", cfg.http().listen().host(), port);
                return engine.recover();
              });
        })
        .onSuccess(x -> LOG.info("odoo-agent {} watching container {} ({}) as host {}", version,
            cfg.service().container(), repository, cfg.hostId()));
  }

  /** Tag lookups through the registry client, retried with backoff and guarded by a circuit breaker. */
  private Resolver resolver() {
    if (resolver == null) {
      RegistryClient client = new RegistryClient(vertx, cfg.registry().url().toString(),
          ImageRef.parse(cfg.service().image()).repository(), cfg.registry().username(),
          cfg.registry().password() == null ? null : cfg.registry().password().reveal());
      Resilience resilience = Resilience.forRegistry(vertx, Resilience.Settings.defaults());
      metrics.set("odoo_agent_registry_circuit_state", resilience.stateCode());
      resilience.circuitBreaker().getEventPublisher().onStateTransition(e ->
          metrics.set("odoo_agent_registry_circuit_state", Resilience.stateCode(e.getStateTransition().getToState())));
      resolver = tag -> resilience.execute(() -> client.resolveDigest(tag));
    }
    return resolver;
  }

  private RegistryAuth registryAuth() {
    String host = cfg.registry().url().getAuthority();
    return cfg.registry().password() == null ? RegistryAuth.anonymous()
        : new RegistryAuth(host, cfg.registry().username(), cfg.registry().password().reveal());
  }

  /** The repository path the engine names images by, e.g. {@code ghcr.io/owner/odoo-ce}. */
  static String repositoryOf(AgentConfig cfg) {
    return cfg.service().image();
  }

  /** Stops listeners and timers. */
  public Future<Void> stop() {
    if (observer != null) {
      observer.stop();
    }
    Future<Void> f = admin == null ? Future.succeededFuture() : admin.stop();
    return f.onComplete(x -> {
      if (docker != null) {
        docker.close();
      }
    });
  }
}
