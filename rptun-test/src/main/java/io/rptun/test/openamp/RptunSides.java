package io.rptun.test.openamp;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.openamp.OpenAmpLinuxProfile;
import io.rptun.core.rpmsg.RpmsgBatchWriter;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgListener;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.sim.OpenAmpLinuxDriver;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/** rptun's two sides of OpenAMP's Linux demo, as {@code rptun remote --openamp-linux} and {@code rptun ping} run them. */
public final class RptunSides {
    private RptunSides() {
    }

    /**
     * rptun's echo remote ({@code RemoteMain --openamp-linux}): creates the file, listens, and answers every
     * message from its callback with a blocking {@code sendTo}; the shutdown magic ends it.
     */
    public static final class EchoRemote implements AutoCloseable {
        private final Rptun rptun;
        private final CompletableFuture<RpmsgDevice> up;
        private final CountDownLatch shutdown = new CountDownLatch(1);

        private EchoRemote(Path shm, Path socket, Duration acceptTimeout) {
            OpenAmpLinuxDriver driver = OpenAmpLinuxDriver.remote(shm, socket, acceptTimeout, true);
            rptun = Rptun.create(driver, RptunOptions.defaults().withReadyCommand(false)
                    .withReadyTimeout(acceptTimeout.plusSeconds(10)));
            up = CompletableFuture.supplyAsync(() -> {
                RpmsgDevice device = rptun.start();
                device.createEndpoint(OpenAmpLinuxProfile.ENDPOINT_NAME, new RpmsgListener() {
                    @Override
                    public void onMessage(RpmsgEndpoint ep, RpmsgMessage msg) {
                        if (msg.length() >= 4 && msg.getIntLE(0) == OpenAmpLinuxProfile.SHUTDOWN_MAGIC) {
                            shutdown.countDown();
                            return;
                        }
                        ep.sendTo(msg.src(), msg.payload());
                    }
                });
                return device;
            }, runnable -> Thread.ofPlatform().daemon().name("rptun-echo-remote-start").start(runnable));
        }

        /** Creates the file and starts listening in the background. */
        public static EchoRemote start(Path shm, Path socket, Duration acceptTimeout) {
            return new EchoRemote(shm, socket, acceptTimeout);
        }

        /** The device, once up. */
        public RpmsgDevice device(Duration timeout) {
            try {
                return up.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("rptun's echo remote did not come up: " + e, e);
            }
        }

        /** True once the shutdown message came. */
        public boolean awaitShutdown(Duration timeout) throws InterruptedException {
            return shutdown.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        public Rptun rptun() {
            return rptun;
        }

        @Override
        public void close() {
            rptun.close();
            up.cancel(false);
        }
    }

    /**
     * rptun's host ({@code rptun ping --openamp-linux} with a pipeline): binds to the demo's channel and
     * sends from one application thread with blocking sends while its callback checks every echo in order.
     */
    public static final class FloodHost implements AutoCloseable {
        private final Rptun rptun;
        private final RpmsgDevice device;
        private final RpmsgEndpoint ep;
        private final AtomicLong echoed = new AtomicLong();
        private final AtomicLong next = new AtomicLong();
        private final AtomicReference<@Nullable String> wrong = new AtomicReference<>();
        /** Serving thread only: which echoes of the round came back (each checked against its own number). */
        private BitSet seen = new BitSet();
        private volatile long roundFirst;
        private volatile long roundEnd;
        private volatile int roundSize;
        private volatile boolean sendFromCallback;

        private FloodHost(Path shm, Path socket, Duration timeout) {
            rptun = Rptun.create(OpenAmpLinuxDriver.host(shm, socket, timeout), RptunOptions.defaults()
                    .withReadyCommand(false));
            try {
                device = rptun.start();
                ep = device.createEndpoint(OpenAmpLinuxProfile.ENDPOINT_NAME, (e, msg) -> onEcho(msg));
                if (!ep.awaitBound(timeout)) {
                    throw new IllegalStateException("the remote did not announce "
                            + OpenAmpLinuxProfile.ENDPOINT_NAME + " within " + timeout);
                }
            } catch (RuntimeException e) {
                rptun.close();
                throw e;
            }
        }

        /** Connects to the remote's socket, starts the host and binds to the demo's channel. */
        public static FloodHost start(Path shm, Path socket, Duration timeout) {
            return new FloodHost(shm, socket, timeout);
        }

        private void onEcho(RpmsgMessage msg) {
            MemorySegment p = msg.payload();
            long seq = EchoPattern.seqOf(p, 0, msg.length());
            long index = seq - roundFirst;
            if (index < 0 || index >= roundEnd - roundFirst || seen.get((int) index)
                    || !EchoPattern.matches(p, 0, msg.length(), seq, roundSize)) {
                wrong.compareAndSet(null, "echo " + seq + " (" + msg.length() + " bytes) is not one of "
                        + (roundEnd - roundFirst) + " echoes of " + roundSize + " bytes from " + roundFirst
                        + " that has not come back yet");
            } else {
                seen.set((int) index);
            }
            if (sendFromCallback) {
                sendNext(); // a blocking send from the callback, as an echo-from-callback peer does
            }
            echoed.incrementAndGet(); // last: publishes 'seen' to the thread that reads echoed
        }

        private void sendNext() {
            long seq = next.getAndIncrement();
            if (seq < roundEnd) {
                // One staging segment per sending thread (this one and the serving thread's callbacks): no
                // allocation per message, as the C host fills its buffer in place.
                MemorySegment payload = STAGING.get().asSlice(0, roundSize);
                EchoPattern.fill(payload, 0, seq, roundSize);
                ep.send(payload);
            }
        }

        private static final ThreadLocal<MemorySegment> STAGING = ThreadLocal.withInitial(
                () -> MemorySegment.ofArray(new byte[EchoPattern.MAX_SIZE]));

        /**
         * Sends {@code count} messages of {@code size} bytes from this thread (blocking sends, as fast as
         * TX buffers come back) and waits for every echo, each checked once.
         *
         * @throws CPeerException WRONG_ECHO; STALLED when the echoes are not all back by {@code deadline}
         */
        public void flood(int size, long count, Duration deadline) throws InterruptedException {
            run(size, count, count, false, deadline);
        }

        /**
         * Like {@link #flood}, sending in batches of up to {@code batch} messages
         * ({@link RpmsgEndpoint#trySendBatch}: as many as TX buffers are free, written in place and published
         * together), and with no TX buffer free one blocking send.
         */
        public void floodBatched(int size, long count, int batch, Duration deadline) throws InterruptedException {
            if (batch < 1) {
                throw new IllegalArgumentException("batch=" + batch);
            }
            this.batch = batch;
            try {
                run(size, count, count, false, deadline);
            } finally {
                this.batch = 1;
            }
        }

        /** Messages per publication of the first burst: 1 sends each on its own. */
        private volatile int batch = 1;

        /** Writes the next echo-pattern message in place for a batch; NO_MORE once the round is all sent. */
        private final RpmsgBatchWriter patternWriter = payload -> {
            long seq = next.get();
            if (seq >= roundEnd) {
                return RpmsgBatchWriter.NO_MORE;
            }
            EchoPattern.fill(payload, 0, seq, roundSize);
            next.set(seq + 1); // the sending thread is the only one advancing 'next' during a batched round
            return roundSize;
        };

        /**
         * Keeps {@code window} messages in flight: this thread sends the first {@code window}, then the
         * callback sends one more (a blocking send from the callback) for each echo, until {@code count}.
         * With a window larger than the rings, both sides run out of TX buffers while their callbacks send.
         */
        public void floodFromCallback(int size, long count, int window, Duration deadline)
                throws InterruptedException {
            run(size, count, Math.min(window, count), true, deadline);
        }

        private void run(int size, long count, long firstBurst, boolean fromCallback, Duration deadline)
                throws InterruptedException {
            long end = System.nanoTime() + deadline.toNanos();
            long first = next.get();
            seen = new BitSet((int) count);
            roundSize = size;
            roundFirst = first;
            roundEnd = first + count;
            echoed.set(0);
            sendFromCallback = fromCallback;
            int b = batch;
            for (long i = 0; i < firstBurst; ) {
                if (b > 1 && !fromCallback) {
                    int n = ep.trySendBatch(patternWriter, (int) Math.min(b, firstBurst - i));
                    if (n > 0) {
                        i += n;
                        failIfWrongOrLate(end, deadline);
                        continue;
                    }
                }
                sendNext();
                if ((i & 1023) == 0) {
                    failIfWrongOrLate(end, deadline);
                }
                i++;
            }
            while (echoed.get() < count) {
                failIfWrongOrLate(end, deadline);
                Thread.sleep(1);
            }
            failIfWrongOrLate(end, deadline);
            if (seen.cardinality() != count) {
                throw new CPeerException(CPeerException.Reason.WRONG_ECHO, "rptun host: " + seen.cardinality()
                        + " distinct echoes of " + count);
            }
        }

        private void failIfWrongOrLate(long end, Duration deadline) {
            String w = wrong.get();
            if (w != null) {
                throw new CPeerException(CPeerException.Reason.WRONG_ECHO, "rptun host: " + w);
            }
            if (System.nanoTime() - end > 0) {
                throw new CPeerException(CPeerException.Reason.STALLED, "rptun host: " + echoed.get()
                        + " echoes back after " + deadline + "; " + device.dump());
            }
        }

        /** Sends OpenAMP's shutdown message. */
        public void sendShutdown() {
            ep.send(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(OpenAmpLinuxProfile.SHUTDOWN_MAGIC)
                    .array());
        }

        public RpmsgDevice device() {
            return device;
        }

        @Override
        public void close() {
            rptun.close();
        }
    }
}
