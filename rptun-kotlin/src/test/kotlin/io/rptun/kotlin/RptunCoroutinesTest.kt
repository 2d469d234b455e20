package io.rptun.kotlin

import io.rptun.core.loopback.RpmsgLoopback
import io.rptun.reactive.NameServiceEvent
import io.rptun.reactive.RpmsgChannel
import io.rptun.reactive.RpmsgReactive
import java.util.concurrent.CopyOnWriteArrayList
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.test.currentTime
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.conflate
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.flowOf
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.launch
import kotlinx.coroutines.test.runTest
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeoutOrNull
import org.assertj.core.api.Assertions.assertThat
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import reactor.core.publisher.Flux

/**
 * The coroutine API against a real in-process link (an [RpmsgLoopback]): the remote serves "echo" (answers
 * each message with itself) and "numbers" (answers "N" with N messages "0" .. "N-1").
 */
@Timeout(60)
class RptunCoroutinesTest {
    private lateinit var loop: RpmsgLoopback
    private lateinit var rpmsg: RpmsgReactive

    @BeforeEach
    fun start() {
        loop = RpmsgLoopback.start(RpmsgLoopback.table(32, 256))
        loop.remote().createEndpoint("echo") { ep, msg -> ep.send(msg.toByteArray()) }
        loop.remote().createEndpoint("numbers") { ep, msg ->
            repeat(msg.asString().toInt()) { ep.send(it.toString().encodeToByteArray()) }
        }
        rpmsg = RpmsgReactive.create(loop.host())
    }

    @AfterEach
    fun stop() {
        rpmsg.dispose()
        loop.close()
    }

    @Test
    fun `a channel opened, sent to, read as a flow and closed echoes every message in order`() = runTest {
        val channel = rpmsg.awaitOpen("echo")
        val replies = async(start = CoroutineStart.UNDISPATCHED) {
            channel.receiveAsFlow { it.asString() }.take(3).toList()
        }
        channel.send("one")
        channel.send("two".encodeToByteArray())
        channel.sendAll(flowOf("three".encodeToByteArray()))
        assertThat(replies.await()).containsExactly("one", "two", "three")
        channel.awaitClose()
        assertThat(channel.isDisposed).isTrue()
        assertThat(loop.host().heldRxBuffers()).isZero()
    }

    @Test
    fun `a flow asks for one element at a time, when its collector is ready for it`() = runTest {
        val requests = CopyOnWriteArrayList<Long>()
        val seen = Flux.range(1, 5).doOnRequest { requests.add(it) }.pacedByCollector().toList()
        assertThat(seen).containsExactly(1, 2, 3, 4, 5)
        assertThat(requests).allMatch { it == 1L }
    }

    @Test
    fun `buffer(n) asks n ahead and conflate() asks for everything`() = runTest {
        val buffered = CopyOnWriteArrayList<Long>()
        Flux.range(1, 8).doOnRequest { buffered.add(it) }.pacedByCollector().buffer(4).toList()
        assertThat(buffered).first().isEqualTo(4L)

        val conflated = CopyOnWriteArrayList<Long>()
        Flux.range(1, 8).doOnRequest { conflated.add(it) }.pacedByCollector().conflate().toList()
        assertThat(conflated).containsExactly(Long.MAX_VALUE)
    }

    @Test
    fun `a collector that stops collecting makes the channel hold the rest instead of a hidden buffer`() = runTest {
        val channel = rpmsg.awaitOpen("numbers")
        val firstSeen = CompletableDeferred<String>()
        val gate = CompletableDeferred<Unit>()
        val collector = launch(start = CoroutineStart.UNDISPATCHED) {
            channel.receiveAsFlow { it.asString() }.collect {
                firstSeen.complete(it)
                gate.await()
            }
        }
        channel.send("10")
        assertThat(firstSeen.await()).isEqualTo("0")
        untilTrue { channel.stats().held + channel.stats().delivered >= 10 }
        // One in the collector's hands, at most one more asked for: the other eight wait in the channel.
        assertThat(channel.stats().delivered).isLessThanOrEqualTo(2)
        assertThat(channel.stats().held).isGreaterThanOrEqualTo(8)
        collector.cancel()
        channel.awaitClose()
        assertThat(loop.host().heldRxBuffers()).isZero()
    }

    @Test
    fun `conflate() takes everything at once, so the channel holds nothing`() = runTest {
        val channel = rpmsg.awaitOpen("numbers")
        val gate = CompletableDeferred<Unit>()
        val collector = launch(start = CoroutineStart.UNDISPATCHED) {
            channel.receiveAsFlow { it.asString() }.conflate().collect { gate.await() }
        }
        channel.send("10")
        untilTrue { channel.stats().delivered == 10L }
        assertThat(channel.stats().held).isZero()
        collector.cancel()
        channel.awaitClose()
    }

    @Test
    fun `a collector stuck for a minute of virtual time is timed out and gives back every buffer it held`() = runTest {
        val channel = rpmsg.awaitOpen("numbers")
        val firstSeen = CompletableDeferred<Unit>()
        val slow = launch(start = CoroutineStart.UNDISPATCHED) {
            channel.receiveAsFlow { it.asString() }.collect {
                firstSeen.complete(Unit)
                delay(60.seconds) // virtual time: nothing real waits for it
            }
        }
        channel.send("5")
        firstSeen.await()
        // Only virtual time passes from here on (the remote sent all five), so the timeout is exact.
        assertThat(withTimeoutOrNull(30.seconds) { slow.join() }).isNull()
        assertThat(currentTime).isGreaterThanOrEqualTo(30_000)
        slow.cancel()
        channel.awaitClose()
        assertThat(loop.host().heldRxBuffers()).isZero()
    }

    @Test
    fun `withChannel closes the channel when its block throws`() = runTest {
        var opened: RpmsgChannel? = null
        val failure = runCatching {
            rpmsg.withChannel("echo") {
                opened = it
                error("the block failed")
            }
        }.exceptionOrNull()
        assertThat(failure).hasMessage("the block failed")
        assertThat(opened!!.isDisposed).isTrue()
    }

    @Test
    fun `announcements are a flow that starts with the services the remote offers`() = runTest {
        val first = rpmsg.announcementsAsFlow().first()
        assertThat(first.type()).isEqualTo(NameServiceEvent.Type.CREATED)
        assertThat(first.name()).isIn("echo", "numbers")
    }

    /** Waits, in real time off the test scheduler, until [condition] holds (the test's @Timeout bounds it). */
    private suspend fun untilTrue(condition: () -> Boolean) {
        withContext(Dispatchers.Default) {
            while (!condition()) {
                delay(1)
            }
        }
    }
}
