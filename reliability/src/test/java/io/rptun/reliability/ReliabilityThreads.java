package io.rptun.reliability;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Platform threads a suite starts and must see end: {@link #joinAll} waits for them with a deadline and
 * rethrows the first failure; {@link #interruptAll} (in a {@code finally}) makes sure none outlives the test.
 */
final class ReliabilityThreads {
    /** A task that may throw anything. */
    @FunctionalInterface
    interface Task {
        void run() throws Exception;
    }

    private final String name;
    private final List<Thread> threads = new ArrayList<>();
    private final List<CompletableFuture<Void>> results = new ArrayList<>();

    ReliabilityThreads(String name) {
        this.name = name;
    }

    /** Starts {@code task} on a new platform thread. */
    CompletableFuture<Void> start(Task task) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().daemon().name(name + "-" + threads.size()).unstarted(() -> {
            try {
                task.run();
                result.complete(null);
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        threads.add(t);
        results.add(result);
        t.start();
        return result;
    }

    /**
     * Waits for every task, up to {@code timeout} in all.
     *
     * @throws Exception the first task's failure, or a TimeoutException naming the threads still running
     */
    void joinAll(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (CompletableFuture<Void> r : results) {
            try {
                r.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Exception cause) {
                    throw cause;
                }
                throw e;
            } catch (TimeoutException e) {
                throw new TimeoutException(name + " threads still running after " + timeout + ": "
                        + threads.stream().filter(Thread::isAlive).map(Thread::getName).toList());
            }
        }
    }

    /** Interrupts what still runs and waits a little for it to end. */
    void interruptAll() throws InterruptedException {
        for (Thread t : threads) {
            t.interrupt();
        }
        for (Thread t : threads) {
            t.join(Duration.ofSeconds(20));
        }
    }
}
