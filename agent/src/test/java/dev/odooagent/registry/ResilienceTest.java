package dev.odooagent.registry;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
class ResilienceTest {

    private static final Duration INITIAL = Duration.ofMillis(20);
    private static final double MULTIPLIER = 2.0;
    private static final double JITTER = 0.2;

    private static Resilience.Settings fastRetries(int maxAttempts) {
        return new Resilience.Settings(maxAttempts, INITIAL, MULTIPLIER, JITTER, Duration.ofSeconds(1), 100, 100,
                Duration.ofSeconds(30));
    }

    private static Resilience.Settings quickBreaker(Duration openWait) {
        return new Resilience.Settings(1, INITIAL, MULTIPLIER, JITTER, Duration.ofSeconds(1), 4, 4, openWait);
    }

    private static RegistryException failure(int status) {
        boolean retryable = status == 429 || status >= 500;
        return new RegistryException("http://127.0.0.1:5000", "jgtolentino/odoo-ce", "v1", status, "test failure",
                null, retryable, null);
    }

    @Test
    void retriesRetryableFailuresWithGrowingDelaysOnVertxTimersThenSucceeds(Vertx vertx, VertxTestContext ctx) {
        Resilience resilience = Resilience.forRegistry(vertx, fastRetries(4));
        List<Long> waits = new CopyOnWriteArrayList<>();
        resilience.retry().getEventPublisher().onRetry(e -> waits.add(e.getWaitInterval().toMillis()));
        List<Long> startedAt = new CopyOnWriteArrayList<>();
        List<Boolean> onEventLoop = new CopyOnWriteArrayList<>();
        resilience.<String>execute(() -> {
            startedAt.add(System.nanoTime());
            onEventLoop.add(Context.isOnEventLoopThread());
            return startedAt.size() < 4 ? Future.failedFuture(failure(503)) : Future.succeededFuture("ok");
        }).onComplete(ctx.succeeding(result -> ctx.verify(() -> {
            assertEquals("ok", result);
            assertEquals(4, startedAt.size());
            assertEquals(3, waits.size());
            for (int i = 0; i < waits.size(); i++) {
                double base = INITIAL.toMillis() * Math.pow(MULTIPLIER, i);
                long wait = waits.get(i);
                assertTrue(wait >= Math.floor(base * (1 - JITTER)) && wait <= Math.ceil(base * (1 + JITTER)),
                        "wait " + i + " = " + wait + " ms outside " + base + " ± " + (JITTER * 100) + " %");
                if (i > 0) {
                    assertTrue(wait > waits.get(i - 1), "waits must grow: " + waits);
                }
                long gapMillis = (startedAt.get(i + 1) - startedAt.get(i)) / 1_000_000;
                assertTrue(gapMillis >= wait - 1, "attempt " + (i + 2) + " came after " + gapMillis
                        + " ms, before its " + wait + " ms wait");
            }
            assertEquals(List.of(true, true, true), onEventLoop.subList(1, 4), "retries run on Vert.x timers");
            assertEquals(0, resilience.stateCode());
            ctx.completeNow();
        })));
    }

    @Test
    void givesUpAfterMaxAttemptsWithTheLastFailure(Vertx vertx, VertxTestContext ctx) {
        Resilience resilience = Resilience.forRegistry(vertx, fastRetries(3));
        AtomicInteger calls = new AtomicInteger();
        AtomicReference<RegistryException> last = new AtomicReference<>();
        resilience.<String>execute(() -> {
            calls.incrementAndGet();
            last.set(failure(502));
            return Future.failedFuture(last.get());
        }).onComplete(ctx.failing(failure -> ctx.verify(() -> {
            assertEquals(3, calls.get());
            assertSame(last.get(), failure);
            ctx.completeNow();
        })));
    }

    @Test
    void doesNotRetryNorCountNonRetryableFailures(Vertx vertx, VertxTestContext ctx) {
        Resilience resilience = Resilience.forRegistry(vertx, fastRetries(4));
        AtomicInteger calls = new AtomicInteger();
        RegistryException notFound = failure(404);
        resilience.<String>execute(() -> {
            calls.incrementAndGet();
            return Future.failedFuture(notFound);
        }).onComplete(ctx.failing(failure -> ctx.verify(() -> {
            assertSame(notFound, failure);
            assertEquals(1, calls.get());
            assertEquals(0, resilience.circuitBreaker().getMetrics().getNumberOfFailedCalls());
            ctx.completeNow();
        })));
    }

    @Test
    void aCallThatThrowsIsTreatedAsAFailedFuture(Vertx vertx, VertxTestContext ctx) {
        Resilience resilience = Resilience.forRegistry(vertx, fastRetries(2));
        IllegalStateException boom = new IllegalStateException("boom");
        resilience.<String>execute(() -> {
            throw boom;
        }).onComplete(ctx.failing(failure -> ctx.verify(() -> {
            assertSame(boom, failure);
            ctx.completeNow();
        })));
    }

    @Test
    void breakerOpensAfterRepeatedFailuresAndFailsFast(Vertx vertx, VertxTestContext ctx) {
        Resilience resilience = Resilience.forRegistry(vertx, quickBreaker(Duration.ofSeconds(30)));
        AtomicInteger calls = new AtomicInteger();
        failTimes(resilience, calls, 4)
                .compose(v -> {
                    ctx.verify(() -> {
                        assertEquals(CircuitBreaker.State.OPEN, resilience.circuitBreaker().getState());
                        assertEquals(1, resilience.stateCode());
                    });
                    return resilience.<String>execute(() -> {
                        calls.incrementAndGet();
                        return Future.succeededFuture("should not run");
                    });
                })
                .onComplete(ctx.failing(failure -> ctx.verify(() -> {
                    Resilience.CircuitOpenException open =
                            assertInstanceOf(Resilience.CircuitOpenException.class, failure);
                    assertTrue(open.getMessage().startsWith(
                            "registry circuit open after repeated failures; retrying after "), open.getMessage());
                    assertTrue(open.getMessage().contains("test failure"), open.getMessage());
                    assertTrue(open.retryAfter().compareTo(Duration.ofSeconds(29)) > 0, open.retryAfter().toString());
                    assertEquals(4, calls.get(), "an open breaker must not call out");
                    ctx.completeNow();
                })));
    }

    @Test
    void breakerHalfOpensAfterTheWaitAndClosesOnASuccessfulTrial(Vertx vertx, VertxTestContext ctx) {
        Resilience resilience = Resilience.forRegistry(vertx, quickBreaker(Duration.ofMillis(200)));
        AtomicInteger calls = new AtomicInteger();
        List<Integer> stateDuringTrial = new CopyOnWriteArrayList<>();
        failTimes(resilience, calls, 4).onComplete(ctx.succeeding(v -> {
            ctx.verify(() -> assertEquals(1, resilience.stateCode()));
            long started = System.nanoTime();
            vertx.setPeriodic(10, timer -> resilience.<String>execute(() -> {
                stateDuringTrial.add(resilience.stateCode());
                return Future.succeededFuture("ok");
            }).onComplete(outcome -> {
                if (outcome.failed()) {
                    ctx.verify(() -> assertInstanceOf(Resilience.CircuitOpenException.class, outcome.cause()));
                    return;
                }
                vertx.cancelTimer(timer);
                ctx.verify(() -> {
                    long waitedMillis = (System.nanoTime() - started) / 1_000_000;
                    assertTrue(waitedMillis >= 150, "trial let through after only " + waitedMillis + " ms");
                    assertEquals(List.of(2), stateDuringTrial, "the trial runs half-open");
                    assertEquals(0, resilience.stateCode(), "a successful trial closes the breaker");
                    ctx.completeNow();
                });
            }));
        }));
    }

    @Test
    void stateCodesMatchTheMetricContract() {
        assertEquals(0, Resilience.stateCode(CircuitBreaker.State.CLOSED));
        assertEquals(1, Resilience.stateCode(CircuitBreaker.State.OPEN));
        assertEquals(2, Resilience.stateCode(CircuitBreaker.State.HALF_OPEN));
        assertEquals(1, Resilience.stateCode(CircuitBreaker.State.FORCED_OPEN));
    }

    @Test
    void settingsRejectNonsenseNamingTheSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Resilience.Settings.defaults().withMaxAttempts(0));
        assertTrue(e.getMessage().contains("maxAttempts must be at least 1, got 0"), e.getMessage());
        IllegalArgumentException wait = assertThrows(IllegalArgumentException.class,
                () -> Resilience.Settings.defaults().withOpenWait(Duration.ZERO));
        assertTrue(wait.getMessage().contains("openWait"), wait.getMessage());
    }

    private static Future<Void> failTimes(Resilience resilience, AtomicInteger calls, int times) {
        Future<Void> chain = Future.succeededFuture();
        for (int i = 0; i < times; i++) {
            chain = chain.transform(ignored -> resilience.<Void>execute(() -> {
                calls.incrementAndGet();
                return Future.failedFuture(failure(503));
            }).otherwiseEmpty());
        }
        return chain;
    }
}
