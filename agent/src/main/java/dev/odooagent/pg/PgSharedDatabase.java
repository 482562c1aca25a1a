package dev.odooagent.pg;

import dev.odooagent.deploy.SharedDatabase;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.PgException;
import io.vertx.pgclient.pubsub.PgSubscriber;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SharedDatabase} on PostgreSQL itself, through the reactive client. The lock is a session-level advisory lock
 * held by one dedicated connection (an agent that dies loses its session, and so the lock); the records live in a
 * table of a database of their own ({@code service.coordination_database}, created if missing): a restore of the Odoo
 * database drops and replaces that database, and the snapshot terminates every session in it, so neither the lock nor
 * the records may live there. A verdict is announced by NOTIFY; waiters also re-read on a timer, so a notification
 * missed during a reconnect loses nothing.
 */
public final class PgSharedDatabase implements SharedDatabase {
  private static final Logger LOG = LoggerFactory.getLogger(PgSharedDatabase.class);
  static final String CHANNEL = "odoo_agent_deploys";
  private static final String TABLE = "CREATE TABLE IF NOT EXISTS shared_deploys (database text NOT NULL, digest text NOT NULL, "
      + "state text NOT NULL, host text NOT NULL, deploy_id text NOT NULL, reason text, at timestamptz NOT NULL DEFAULT now(), "
      + "PRIMARY KEY (database, digest))";

  private final Vertx vertx;
  private final PgConnectOptions options;
  private final String database;
  private final String where;
  private Pool pool;
  private Future<Void> ready;
  private PgConnection lock;
  private PgSubscriber subscriber;
  private final List<Waiter> waiters = new CopyOnWriteArrayList<>();

  private record Waiter(String key, Promise<Void> promise) {}

  /** Coordination of {@code database} through {@code options} (which name the coordination database). */
  public PgSharedDatabase(Vertx vertx, PgConnectOptions options, String database) {
    this.vertx = vertx;
    this.options = options;
    this.database = database;
    this.where = options.getUser() + "@" + options.getHost() + ":" + options.getPort() + "/" + options.getDatabase();
  }

  /**
   * The connection settings: the configured ones, else db_host, db_port and db_user of the service's odoo.conf
   * ({@code conf}), else localhost:5432 and odoo; the password only from its file.
   */
  public static PgConnectOptions options(String host, Integer port, String user, String password, String coordination,
      Map<String, String> conf) {
    String h = host != null ? host : nonEmpty(conf.get("db_host"), "127.0.0.1");
    int p = port != null ? port : Integer.parseInt(nonEmpty(conf.get("db_port"), "5432"));
    String u = user != null ? user : nonEmpty(conf.get("db_user"), "odoo");
    return new PgConnectOptions().setHost(h).setPort(p).setUser(u).setPassword(password).setDatabase(coordination);
  }

  private static String nonEmpty(String v, String fallback) {
    return v == null || v.isBlank() || v.equals("False") ? fallback : v.strip();
  }

  /** Creates the coordination database and table if needed; retried on the next call after a failure. */
  private Future<Void> ready() {
    if (ready == null || ready.failed()) {
      if (pool != null) {
        pool.close();
      }
      pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(2)).connectingTo(options).using(vertx).build();
      ready = pool.query(TABLE).execute().<Void>mapEmpty()
          .recover(e -> missingDatabase(e) ? createDatabase().compose(x -> pool.query(TABLE).execute()).mapEmpty()
              : Future.failedFuture(e))
          .recover(e -> racedCreate(e) ? Future.succeededFuture() : Future.failedFuture(unreachable(e)))
          .onSuccess(x -> LOG.info("coordinating the shared database {} through {}", database, where));
    }
    return ready;
  }

  private Future<Void> createDatabase() {
    PgConnectOptions admin = new PgConnectOptions(options).setDatabase("postgres");
    return PgConnection.connect(vertx, admin).compose(c -> c.query("CREATE DATABASE " + options.getDatabase()).execute()
        .<Void>mapEmpty()
        .recover(e -> e instanceof PgException p && "42P04".equals(p.getSqlState()) ? Future.succeededFuture() : Future.failedFuture(e))
        .eventually(c::close))
        .onSuccess(x -> LOG.info("created the coordination database {}", options.getDatabase()));
  }

  private static boolean missingDatabase(Throwable e) {
    return e instanceof PgException p && "3D000".equals(p.getSqlState());
  }

  private static boolean racedCreate(Throwable e) {
    // two agents creating the table at once: one of them loses on the catalog's unique index
    return e instanceof PgException p && ("23505".equals(p.getSqlState()) || "42P07".equals(p.getSqlState()));
  }

  private IllegalStateException unreachable(Throwable e) {
    return new IllegalStateException("cannot use the coordination database " + where + ": " + e.getMessage() + " (check "
        + "service.database_host/port/user and service.database_password_file; the role needs CREATEDB the first time, or "
        + "create the database " + options.getDatabase() + " for it)", e);
  }

  @Override
  public Future<Boolean> tryLock() {
    if (lock != null) {
      return Future.succeededFuture(true);
    }
    return ready().compose(x -> PgConnection.connect(vertx, options)).compose(c -> c.preparedQuery(
        "SELECT pg_try_advisory_lock(hashtext('odoo-agent'), hashtext($1))").execute(Tuple.of(database)).compose(rows -> {
          if (!rows.iterator().next().getBoolean(0)) {
            return c.close().map(false);
          }
          lock = c;
          c.closeHandler(v -> {
            if (lock == c) {
              lock = null;
              LOG.warn("the database lock on {} was lost with its connection; the record 'started' still keeps the other "
                  + "hosts from upgrading until this deploy's verdict", database);
            }
          });
          return Future.succeededFuture(true);
        }, e -> c.close().transform(x -> Future.failedFuture(e))));
  }

  @Override
  public Future<Void> unlock() {
    PgConnection c = lock;
    lock = null;
    // closing the session releases its advisory lock
    return c == null ? Future.succeededFuture() : c.close().otherwise((Void) null);
  }

  @Override
  public Future<Record> read(String digest) {
    return ready().compose(x -> pool.preparedQuery("SELECT state, host, deploy_id, reason, at FROM shared_deploys "
        + "WHERE database = $1 AND digest = $2").execute(Tuple.of(database, digest))).map(PgSharedDatabase::record);
  }

  private static Record record(RowSet<Row> rows) {
    if (rows.size() == 0) {
      return null;
    }
    Row r = rows.iterator().next();
    return new Record(r.getString("state"), r.getString("host"), r.getString("deploy_id"), r.getString("reason"),
        r.getOffsetDateTime("at").toInstant());
  }

  @Override
  public Future<Void> started(String digest, String host, String deployId) {
    PgConnection c = lock;
    if (c == null) {
      return Future.failedFuture(new IllegalStateException("the database lock was lost before " + digest + " was recorded as started"));
    }
    // on the lock's own session: written only while the lock is held
    return c.preparedQuery("INSERT INTO shared_deploys (database, digest, state, host, deploy_id) VALUES ($1, $2, $3, $4, $5) "
        + "ON CONFLICT (database, digest) DO UPDATE SET state = $3, host = $4, deploy_id = $5, reason = NULL, at = now()")
        .execute(Tuple.of(database, digest, STARTED, host, deployId)).mapEmpty();
  }

  @Override
  public Future<Void> finish(String digest, String deployId, String state, String reason) {
    String sql = state == null ? "DELETE FROM shared_deploys WHERE database = $1 AND digest = $2 AND deploy_id = $3"
        : "UPDATE shared_deploys SET state = $4, reason = $5, at = now() WHERE database = $1 AND digest = $2 AND deploy_id = $3";
    Tuple args = state == null ? Tuple.of(database, digest, deployId) : Tuple.of(database, digest, deployId, state, reason);
    return ready().compose(x -> pool.preparedQuery(sql).execute(args)).compose(rows -> rows.rowCount() == 0
        ? Future.succeededFuture()
        : pool.preparedQuery("SELECT pg_notify($1, $2)").execute(Tuple.of(CHANNEL, database + " " + digest)).mapEmpty());
  }

  @Override
  public Future<Void> changed(String digest, Duration within) {
    Promise<Void> p = Promise.promise();
    Waiter w = new Waiter(database + " " + digest, p);
    waiters.add(w);
    long timer = vertx.setTimer(within.toMillis(), t -> p.tryComplete());
    p.future().onComplete(x -> {
      vertx.cancelTimer(timer);
      waiters.remove(w);
    });
    listen();
    return p.future();
  }

  /** Subscribes to the verdict channel once; the subscriber reconnects by itself, and the timer covers the gap. */
  private void listen() {
    if (subscriber != null) {
      return;
    }
    subscriber = PgSubscriber.subscriber(vertx, options).reconnectPolicy(n -> 2_000L);
    subscriber.channel(CHANNEL).handler(payload -> waiters.stream().filter(w -> w.key().equals(payload))
        .forEach(w -> w.promise().tryComplete()));
    subscriber.connect().onFailure(e -> {
      LOG.warn("cannot listen for shared verdicts on {} ({}); re-reading every few seconds instead", where, e.getMessage());
      subscriber = null;
    });
  }

  /** Closes the connections; the lock, if held, is released with its session. */
  public Future<Void> close() {
    Future<Void> s = subscriber == null ? Future.succeededFuture() : subscriber.close();
    Future<Void> p = pool == null ? Future.succeededFuture() : pool.close();
    return Future.join(unlock(), s, p).mapEmpty();
  }
}
