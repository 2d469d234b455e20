package io.rptun.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rptun.core.memory.WireLayouts;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class FutexTest {
    @TempDir
    Path dir;

    private SimFile file;
    private MemorySegment word;

    @BeforeEach
    void mapAFile() {
        assumeTrue(Futex.isSupported(), "futexes need Linux x86_64 or aarch64");
        file = SimFile.createRaw(dir.resolve("futex.shm"), 4096, true);
        word = file.region().asSlice(64, 4);
    }

    @AfterEach
    void unmap() {
        if (file != null) {
            file.close();
            assertThat(file.path()).doesNotExist();
        }
    }

    /** Wakes until one sleeper was woken: the waiter may not have reached the kernel yet. */
    private static int wakeUntilOneWakes(MemorySegment word) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            int woken = Futex.wake(word, 1);
            if (woken > 0) {
                return woken;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        return 0;
    }

    @Test
    void wakingNobodyWakesNobody() {
        assertThat(Futex.wake(word, Integer.MAX_VALUE)).isZero();
    }

    @Test
    void waitingOnAValueTheWordNoLongerHoldsReturnsValueChangedAtOnce() {
        word.set(WireLayouts.LE_U32, 0, 7);

        assertThat(Futex.wait(word, 6, Duration.ofMinutes(5))).isEqualTo(Futex.WaitResult.VALUE_CHANGED);
    }

    @Test
    void waitingWithNobodyWakingTimesOut() {
        assertThat(Futex.wait(word, 0, Duration.ofMillis(50))).isEqualTo(Futex.WaitResult.TIMED_OUT);
        assertThat(Futex.wait(word, 0, Duration.ZERO)).isEqualTo(Futex.WaitResult.TIMED_OUT);
        assertThat(Futex.wait(word, 0, Duration.ofMillis(-5))).isEqualTo(Futex.WaitResult.TIMED_OUT);
    }

    @Test
    void aSleepingThreadIsWokenByAWakeFromAnotherThread() throws Exception {
        CountDownLatch aboutToWait = new CountDownLatch(1);
        CompletableFuture<Futex.WaitResult> result = new CompletableFuture<>();
        Thread waiter = Thread.ofPlatform().start(() -> {
            aboutToWait.countDown();
            result.complete(Futex.wait(word, 0, Duration.ofSeconds(60)));
        });
        try {
            assertThat(aboutToWait.await(30, TimeUnit.SECONDS)).isTrue();

            assertThat(wakeUntilOneWakes(word)).isEqualTo(1);
            assertThat(result.get(30, TimeUnit.SECONDS)).isEqualTo(Futex.WaitResult.WOKEN);
        } finally {
            waiter.join(TimeUnit.SECONDS.toMillis(90));
        }
        assertThat(waiter.isAlive()).isFalse();
    }

    @Test
    void aWakeThroughAnotherMappingOfTheSameFileWakesTheSleeper() throws Exception {
        try (SimFile second = SimFile.openRaw(file.path(), 4096)) {
            MemorySegment sameWord = second.region().asSlice(64, 4);
            assertThat(sameWord.address()).isNotEqualTo(word.address());
            CompletableFuture<Futex.WaitResult> result = new CompletableFuture<>();
            Thread waiter = Thread.ofPlatform().start(
                    () -> result.complete(Futex.wait(word, 0, Duration.ofSeconds(60))));
            try {
                assertThat(wakeUntilOneWakes(sameWord)).isEqualTo(1);
                assertThat(result.get(30, TimeUnit.SECONDS)).isEqualTo(Futex.WaitResult.WOKEN);
            } finally {
                waiter.join(TimeUnit.SECONDS.toMillis(90));
            }
        }
    }

    @Test
    void aWordMustBeFourAlignedBytesOfNativeMemory() {
        assertThatThrownBy(() -> Futex.wake(file.region().asSlice(64, 8), 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Futex.wait(file.region().asSlice(66, 4), 0, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Futex.wake(MemorySegment.ofArray(new int[1]), 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Futex.wake(word, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aWordWhoseMemoryWasFreedIsRefused() {
        MemorySegment freed;
        try (Arena arena = Arena.ofConfined()) {
            freed = arena.allocate(4, 4);
        }

        assertThatThrownBy(() -> Futex.wake(freed, 1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void futexesAreSupportedOnThisLinuxMachine() {
        String arch = System.getProperty("os.arch");
        assertThat(Futex.isSupported()).isEqualTo(arch.equals("amd64") || arch.equals("aarch64"));
    }
}
