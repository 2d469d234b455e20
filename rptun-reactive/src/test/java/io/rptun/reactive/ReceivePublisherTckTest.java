package io.rptun.reactive;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgMessage;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;
import org.testng.SkipException;
import org.testng.annotations.AfterClass;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.BeforeClass;
import org.testng.annotations.Test;

/**
 * The Reactive Streams TCK for {@link RpmsgChannel#receive()} (TestNG, run on the JUnit Platform by the
 * testng-engine). Each publisher is a fresh channel whose remote endpoint sends n messages and then destroys
 * itself (NS destroy), which completes receive; a huge n (the TCK asks for Integer.MAX_VALUE) sends until the channel is closed after the test. The
 * failed publisher is a channel whose device lost its remote.
 *
 * <p>Skipped: the five optional rule 1.11 tests (several subscribers at once), because receive() takes one
 * receiver at a time by design (a second concurrent one gets ALREADY_RECEIVING, as reactor-netty's inbound);
 * and the {@code untested_*} rules, which the TCK has no test for.
 */
public class ReceivePublisherTckTest extends PublisherVerification<RpmsgMessage> {
    private static final Duration WAIT = ReactiveTestSupport.WAIT;

    private final AtomicInteger names = new AtomicInteger();
    private final List<RpmsgChannel> channels = new CopyOnWriteArrayList<>();
    private final List<RpmsgEndpoint> remotes = new CopyOnWriteArrayList<>();
    private final List<Future<?>> senders = new CopyOnWriteArrayList<>();
    private RpmsgLoopback loop;
    private RpmsgReactive rpmsg;
    private RpmsgLoopback lostLoop;
    private RpmsgChannel lostChannel;
    private ExecutorService executor;

    public ReceivePublisherTckTest() {
        super(new TestEnvironment(2_000, 100, 20));
    }

    @BeforeClass
    public void startLoopbacks() {
        executor = Executors.newCachedThreadPool(Thread.ofPlatform().name("tck-remote-", 0).daemon().factory());
        loop = ReactiveTestSupport.loopback();
        rpmsg = RpmsgReactive.create(loop.host());
        lostLoop = ReactiveTestSupport.loopback();
        RpmsgReactive lost = RpmsgReactive.create(lostLoop.host());
        lostLoop.remote().createEndpoint("lost", ReactiveTestSupport.ignore());
        lostChannel = Objects.requireNonNull(lost.open("lost").block(WAIT));
        lostLoop.host().peerLost("the TCK's failed publisher");
    }

    @AfterMethod
    public void closeChannels() throws Exception {
        for (RpmsgChannel c : channels) {
            c.dispose();
        }
        for (RpmsgEndpoint r : remotes) {
            r.destroy();
        }
        for (Future<?> f : senders) {
            f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
        channels.clear();
        remotes.clear();
        senders.clear();
        ReactiveTestSupport.assertNoHeldBuffers(loop.host());
    }

    @AfterClass(alwaysRun = true)
    public void stopLoopbacks() throws InterruptedException {
        rpmsg.dispose();
        loop.close();
        lostLoop.close();
        executor.shutdownNow();
        executor.awaitTermination(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    @Override
    public Publisher<RpmsgMessage> createPublisher(long elements) {
        String name = "tck" + names.incrementAndGet();
        RpmsgEndpoint remote = loop.remote().createEndpoint(name, ReactiveTestSupport.ignore());
        remotes.add(remote);
        RpmsgChannel channel = Objects.requireNonNull(rpmsg.open(name).block(WAIT));
        channels.add(channel);
        if (!remote.awaitBound(WAIT)) {
            throw new IllegalStateException(name + " was not bound");
        }
        senders.add(executor.submit(() -> {
            try {
                for (long i = 0; i < elements; i++) {
                    remote.send(ReactiveTestSupport.ints((int) i));
                }
            } catch (RpmsgException e) {
                return; // the test ended and closed the channel before all were sent (the TCK counts what arrived)
            }
            remote.destroy(); // NS destroy: receive completes after the last message
        }));
        return channel.receive();
    }

    private static final String ONE_RECEIVER = "rule 1.11 is optional: receive() takes one receiver at a time"
            + " (a second concurrent subscriber gets ALREADY_RECEIVING, like reactor-netty's inbound)";

    @Override
    @Test
    public void optional_spec111_maySupportMultiSubscribe() {
        throw new SkipException(ONE_RECEIVER);
    }

    @Override
    @Test
    public void optional_spec111_registeredSubscribersMustReceiveOnNextOrOnCompleteSignals() {
        throw new SkipException(ONE_RECEIVER);
    }

    @Override
    @Test
    public void optional_spec111_multicast_mustProduceTheSameElementsInTheSameSequenceToAllOfItsSubscribersWhenRequestingOneByOne() {
        throw new SkipException(ONE_RECEIVER);
    }

    @Override
    @Test
    public void optional_spec111_multicast_mustProduceTheSameElementsInTheSameSequenceToAllOfItsSubscribersWhenRequestingManyUpfront() {
        throw new SkipException(ONE_RECEIVER);
    }

    @Override
    @Test
    public void optional_spec111_multicast_mustProduceTheSameElementsInTheSameSequenceToAllOfItsSubscribersWhenRequestingManyUpfrontAndCompleteAsExpected() {
        throw new SkipException(ONE_RECEIVER);
    }

    @Override
    public Publisher<RpmsgMessage> createFailedPublisher() {
        return lostChannel.receive();
    }
}
