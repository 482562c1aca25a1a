package dev.odooagent.deploy;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** One host's session to a fake shared database server: the lock owner and the records live in the {@link Server}. */
final class FakeSharedDatabase implements SharedDatabase {
  /** What the hosts share: who holds the lock, the records by digest, and the hosts listening for verdicts. */
  static final class Server {
    volatile FakeSharedDatabase owner;
    final Map<String, Record> records = new ConcurrentHashMap<>();
    final List<Promise<Void>> listeners = new CopyOnWriteArrayList<>();

    /** Writes a record as another host (or an operator's SQL) would, and notifies. */
    void put(String digest, Record r) {
      records.put(digest, r);
      notifyAll(digest);
    }

    private void notifyAll(String digest) {
      List<Promise<Void>> now = new ArrayList<>(listeners);
      listeners.clear();
      now.forEach(Promise::tryComplete);
    }
  }

  final Vertx vertx;
  final Server server;
  final String name;
  /** The calls this host made, e.g. "tryLock true", "started D by d1", "finish D d1 success". */
  final List<String> calls = new CopyOnWriteArrayList<>();
  /** When set, the agent dies right after its record "started" is written: completed then, and started() never answers. */
  Promise<Void> dieAfterStarted;

  FakeSharedDatabase(Vertx vertx, Server server, String name) {
    this.vertx = vertx;
    this.server = server;
    this.name = name;
  }

  /** The session dies (a broken connection, a killed agent): the server releases the lock. */
  void loseSession() {
    if (server.owner == this) {
      server.owner = null;
    }
  }

  boolean holds() {
    return server.owner == this;
  }

  @Override
  public synchronized Future<Boolean> tryLock() {
    boolean got;
    synchronized (server) {
      got = server.owner == null || server.owner == this;
      if (got) {
        server.owner = this;
      }
    }
    calls.add("tryLock " + got);
    return Future.succeededFuture(got);
  }

  @Override
  public Future<Void> unlock() {
    loseSession();
    return Future.succeededFuture();
  }

  @Override
  public Future<Record> read(String digest) {
    return Future.succeededFuture(server.records.get(digest));
  }

  @Override
  public Future<Void> started(String digest, String host, String deployId) {
    if (!holds()) {
      return Future.failedFuture(new IllegalStateException("the database lock was lost"));
    }
    calls.add("started " + digest + " by " + deployId);
    server.put(digest, new Record(STARTED, host, deployId, null, Instant.now()));
    if (dieAfterStarted != null) {
      dieAfterStarted.complete();
      return Promise.<Void>promise().future();
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> finish(String digest, String deployId, String state, String reason) {
    Record r = server.records.get(digest);
    if (r != null && r.deployId().equals(deployId)) {
      calls.add("finish " + digest + " " + deployId + " " + state);
      if (state == null) {
        server.records.remove(digest);
        server.notifyAll(digest);
      } else {
        server.put(digest, new Record(state, r.host(), deployId, reason, Instant.now()));
      }
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> changed(String digest, Duration within) {
    Promise<Void> p = Promise.promise();
    server.listeners.add(p);
    long t = vertx.setTimer(within.toMillis(), x -> p.tryComplete());
    return p.future().onComplete(x -> vertx.cancelTimer(t));
  }
}
