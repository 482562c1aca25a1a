package dev.odooagent.registry;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Retry with exponential backoff and jitter inside a circuit breaker, for idempotent calls, driven by Vert.x timers. */
public final class Resilience {

    /**
     * Tuning of the retry and the breaker.
     *
     * @param maxAttempts          attempts per call, the first included
     * @param initialInterval      wait before the second attempt, before jitter
     * @param multiplier           growth of the wait per attempt
     * @param randomizationFactor  jitter: each wait is drawn from interval × [1 − f, 1 + f]
     * @param maxInterval          cap on the wait between attempts
     * @param slidingWindowSize    number of recent attempts the breaker judges
     * @param minimumNumberOfCalls attempts recorded before the breaker may open
     * @param openWait             how long the breaker stays open before letting one trial attempt through
     */
    public record Settings(int maxAttempts, Duration initialInterval, double multiplier, double randomizationFactor,
                           Duration maxInterval, int slidingWindowSize, int minimumNumberOfCalls, Duration openWait) {

        /** Rejects settings the retry or the breaker cannot work with, naming the setting. */
        public Settings {
            requireAtLeast("maxAttempts", maxAttempts, 1);
            requirePositive("initialInterval", initialInterval);
            requirePositive("maxInterval", maxInterval);
            requirePositive("openWait", openWait);
            requireAtLeast("slidingWindowSize", slidingWindowSize, 1);
            requireAtLeast("minimumNumberOfCalls", minimumNumberOfCalls, 1);
            if (!(multiplier >= 1.0)) {
                throw new IllegalArgumentException("resilience setting multiplier must be at least 1.0, got "
                        + multiplier);
            }
            if (!(randomizationFactor >= 0.0 && randomizationFactor < 1.0)) {
                throw new IllegalArgumentException("resilience setting randomizationFactor must be in [0, 1), got "
                        + randomizationFactor);
            }
            if (maxInterval.compareTo(initialInterval) < 0) {
                throw new IllegalArgumentException("resilience setting maxInterval (" + maxInterval
                        + ") must not be shorter than initialInterval (" + initialInterval + ")");
            }
        }

        /** 4 attempts 0.5 s apart and doubling (±50 %, at most 30 s); opens at 50 % of 10 attempts; 30 s open. */
        public static Settings defaults() {
            return new Settings(4, Duration.ofMillis(500), 2.0, 0.5, Duration.ofSeconds(30), 10, 5,
                    Duration.ofSeconds(30));
        }

        /** A copy with {@code openWait} as the time the breaker stays open. */
        public Settings withOpenWait(Duration openWait) {
            return new Settings(maxAttempts, initialInterval, multiplier, randomizationFactor, maxInterval,
                    slidingWindowSize, minimumNumberOfCalls, openWait);
        }

        /** A copy with {@code maxAttempts} attempts per call. */
        public Settings withMaxAttempts(int maxAttempts) {
            return new Settings(maxAttempts, initialInterval, multiplier, randomizationFactor, maxInterval,
                    slidingWindowSize, minimumNumberOfCalls, openWait);
        }

        private static void requireAtLeast(String name, int value, int min) {
            if (value < min) {
                throw new IllegalArgumentException("resilience setting " + name + " must be at least " + min
                        + ", got " + value);
            }
        }

        private static void requirePositive(String name, Duration value) {
            if (value == null || value.isZero() || value.isNegative()) {
                throw new IllegalArgumentException("resilience setting " + name + " must be a positive duration, got "
                        + value);
            }
        }
    }

    /** Thrown without calling out while the breaker is open. */
    public static final class CircuitOpenException extends RuntimeException {
        private final Duration retryAfter;

        CircuitOpenException(String message, Duration retryAfter) {
            super(message);
            this.retryAfter = retryAfter;
        }

        /** How long until the breaker lets a trial attempt through. */
        public Duration retryAfter() {
            return retryAfter;
        }
    }

    /** The failure rate, in percent of the window, at which the breaker opens. */
    public static final float FAILURE_RATE_THRESHOLD = 50f;

    private final Vertx vertx;
    private final String name;
    private final Settings settings;
    private final Retry retry;
    private final CircuitBreaker circuitBreaker;
    private volatile long openedAtNanos;
    private volatile String lastFailure;

    /** Guards calls named {@code name}; only failures for which {@code retryable} holds are retried and counted. */
    public Resilience(Vertx vertx, String name, Settings settings, Predicate<Throwable> retryable) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.name = Objects.requireNonNull(name, "name");
        this.settings = Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(retryable, "retryable");
        this.retry = Retry.of(name, RetryConfig.custom()
                .maxAttempts(settings.maxAttempts())
                .intervalFunction(IntervalFunction.ofExponentialRandomBackoff(settings.initialInterval(),
                        settings.multiplier(), settings.randomizationFactor(), settings.maxInterval()))
                .retryOnException(failure -> !(failure instanceof CircuitOpenException) && retryable.test(failure))
                .build());
        // Failures the predicate rejects (404, 401) prove the registry answered, so they do not count against it.
        this.circuitBreaker = CircuitBreaker.of(name, CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(settings.slidingWindowSize())
                .minimumNumberOfCalls(settings.minimumNumberOfCalls())
                .failureRateThreshold(FAILURE_RATE_THRESHOLD)
                .waitDurationInOpenState(settings.openWait())
                .permittedNumberOfCallsInHalfOpenState(1)
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .recordException(retryable)
                .build());
        circuitBreaker.getEventPublisher().onStateTransition(event -> {
            if (event.getStateTransition().getToState() == CircuitBreaker.State.OPEN) {
                openedAtNanos = System.nanoTime();
            }
        });
    }

    /** Guards registry calls: retries and counts {@link RegistryException#retryable()} failures. */
    public static Resilience forRegistry(Vertx vertx, Settings settings) {
        return new Resilience(vertx, "registry", settings, RegistryException::isRetryable);
    }

    /** Runs {@code call}, retrying retryable failures on Vert.x timers, each attempt through the breaker. */
    public <T> Future<T> execute(Supplier<Future<T>> call) {
        Objects.requireNonNull(call, "call");
        Promise<T> result = Promise.promise();
        attempt(call, retry.<T>asyncContext(), result);
        return result.future();
    }

    private <T> void attempt(Supplier<Future<T>> call, Retry.AsyncContext<T> context, Promise<T> result) {
        guarded(call).onComplete(outcome -> {
            if (outcome.succeeded()) {
                context.onComplete();
                result.complete(outcome.result());
                return;
            }
            long delay = context.onError(outcome.cause());
            if (delay < 0) {
                result.fail(outcome.cause());
                return;
            }
            vertx.setTimer(Math.max(1, delay), timerId -> attempt(call, context, result));
        });
    }

    private <T> Future<T> guarded(Supplier<Future<T>> call) {
        if (!circuitBreaker.tryAcquirePermission()) {
            return Future.failedFuture(openException());
        }
        long start = System.nanoTime();
        Future<T> future;
        try {
            future = Objects.requireNonNull(call.get(), "the guarded call returned no Future");
        } catch (RuntimeException e) {
            future = Future.failedFuture(e);
        }
        return future.andThen(outcome -> {
            long elapsed = System.nanoTime() - start;
            if (outcome.succeeded()) {
                circuitBreaker.onSuccess(elapsed, TimeUnit.NANOSECONDS);
            } else {
                lastFailure = outcome.cause().getMessage();
                circuitBreaker.onError(elapsed, TimeUnit.NANOSECONDS, outcome.cause());
            }
        });
    }

    private CircuitOpenException openException() {
        if (circuitBreaker.getState() == CircuitBreaker.State.HALF_OPEN) {
            return new CircuitOpenException(name + " circuit half-open after repeated failures; a trial call is in"
                    + " flight, retrying after it", Duration.ZERO);
        }
        long openFor = System.nanoTime() - openedAtNanos;
        Duration retryAfter = settings.openWait().minusNanos(openFor);
        if (retryAfter.isNegative() || circuitBreaker.getState() != CircuitBreaker.State.OPEN) {
            retryAfter = Duration.ZERO;
        }
        String message = name + " circuit open after repeated failures; retrying after "
                + Math.max(1, (retryAfter.toMillis() + 999) / 1000) + " s";
        String last = lastFailure;
        return new CircuitOpenException(last == null ? message : message + "; last failure: " + last, retryAfter);
    }

    /** The circuit breaker, for metrics and events. */
    public CircuitBreaker circuitBreaker() {
        return circuitBreaker;
    }

    /** The retry, for metrics and events. */
    public Retry retry() {
        return retry;
    }

    /** The breaker state as a gauge value: 0 closed, 1 open, 2 half-open. */
    public int stateCode() {
        return stateCode(circuitBreaker.getState());
    }

    /** Maps a breaker state to 0 closed, 1 open, 2 half-open; forced-open counts as open, disabled as closed. */
    public static int stateCode(CircuitBreaker.State state) {
        return switch (state) {
            case OPEN, FORCED_OPEN -> 1;
            case HALF_OPEN -> 2;
            case CLOSED, DISABLED, METRICS_ONLY -> 0;
        };
    }
}
