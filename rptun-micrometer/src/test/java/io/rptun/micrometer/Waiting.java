package io.rptun.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits (bounded) for what another thread makes true: no timed assertion, a bound on a hang. */
final class Waiting {
    static final Duration WAIT = Duration.ofSeconds(20);

    private Waiting() {
    }

    static void until(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("waiting for " + what).isNegative();
            Thread.onSpinWait();
            Thread.yield();
        }
    }
}
