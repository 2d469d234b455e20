@file:JvmName("RptunCoroutines")

package io.rptun.kotlin

import io.rptun.core.rpmsg.RpmsgMessage
import io.rptun.reactive.NameServiceEvent
import io.rptun.reactive.RpmsgChannel
import io.rptun.reactive.RpmsgReactive
import io.rptun.reactive.RptunReactive
import java.time.Duration
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.reactive.asFlow
import kotlinx.coroutines.reactive.asPublisher
import kotlinx.coroutines.reactor.awaitSingle
import kotlinx.coroutines.reactor.awaitSingleOrNull
import kotlinx.coroutines.withContext
import org.reactivestreams.Publisher
import reactor.core.publisher.Mono

/*
 * The coroutine face of rptun: extension functions on the Java types of rptun-reactive, so there is nothing
 * new to learn. Suspending functions suspend where the Java API returns a Mono (and never block a thread);
 * cancelling the coroutine cancels the subscription underneath (an open being made destroys its endpoint,
 * a send stops asking for elements).
 *
 * Flows are paced by their collector: each asks the channel for one message when the collector is ready
 * for it, and for the next once it returned from the previous one, so the channel's demand is the
 * collector's speed and nothing is buffered on the way (a slow collector makes the channel hold, copy or
 * pause as its ReactiveOptions say). What the usual operators do to that:
 *
 * - buffer(n) asks the channel for n messages ahead (the flow fuses with it): up to n copies wait in the
 *   flow, and the channel's demand runs n ahead of the collector.
 * - buffer(Channel.UNLIMITED), or conflate(), asks for everything at once: the channel never holds, copies
 *   or pauses for this collector again; UNLIMITED queues every message in the heap without a bound, and
 *   conflate() keeps only the newest (the ones the collector was too slow for are lost, not paused).
 */

/**
 * Opens a channel to the remote's service [service] and suspends until the name service bound it
 * ([RpmsgReactive.open]). Cancelling the coroutine meanwhile destroys the endpoint.
 *
 * @throws io.rptun.reactive.RpmsgReactiveException OPEN_TIMEOUT when nobody bound it within [timeout]
 * @throws io.rptun.core.rpmsg.RpmsgException from the device (a bad name, a stopped device)
 */
public suspend fun RpmsgReactive.awaitOpen(service: String, timeout: Duration = options().openTimeout()): RpmsgChannel =
    open(service, timeout).awaitSingle()

/**
 * Opens [service], runs [block] with the channel and closes it afterwards, however [block] ends (the way
 * `use` does for a Closeable): the close is not cancelled by the cancellation that may have ended [block].
 */
public suspend fun <T> RpmsgReactive.withChannel(
    service: String,
    timeout: Duration = options().openTimeout(),
    block: suspend (RpmsgChannel) -> T,
): T {
    val channel = awaitOpen(service, timeout)
    try {
        return block(channel)
    } finally {
        withContext(NonCancellable) { channel.awaitClose() }
    }
}

/**
 * Sends [payload] as one message and suspends until it is on the TX ring (while no TX buffer is free it
 * waits for one without blocking a thread).
 *
 * @throws io.rptun.core.rpmsg.RpmsgException PAYLOAD_TOO_LARGE past [RpmsgChannel.maxPayload], or the
 *     device's error when it stops
 * @throws io.rptun.reactive.RpmsgReactiveException CHANNEL_CLOSED once the channel is closed
 */
public suspend fun RpmsgChannel.send(payload: ByteArray) {
    sendBytes(Mono.just(payload)).then().awaitSingleOrNull()
}

/** Sends [text] in UTF-8 as one message: [send] of its bytes. */
public suspend fun RpmsgChannel.send(text: String) {
    send(text.encodeToByteArray())
}

/**
 * Sends each element of [payloads] as one message and suspends until the last one is on the TX ring. The
 * flow is collected as TX buffers come free (at most [io.rptun.reactive.ReactiveOptions.sendPrefetch]
 * elements ahead of them): a flow faster than the remote is slowed down, not queued.
 */
public suspend fun RpmsgChannel.sendAll(payloads: Flow<ByteArray>) {
    sendBytes(payloads.asPublisher()).then().awaitSingleOrNull()
}

/**
 * Closes the channel ([RpmsgChannel.close]: the endpoint is destroyed, [receiveAsFlow] completes) and
 * suspends until it is closed.
 */
public suspend fun RpmsgChannel.awaitClose() {
    close().awaitSingleOrNull()
}

/**
 * The remote's messages as a [Flow], each turned into a [T] by [read]. [read] runs inside the channel's
 * `onNext`, where the message is valid (on the device's serving thread, so it must be quick and must not
 * block), and what it returns must not refer to the message: copy what you need (`toByteArray()`,
 * `asString()`, a parsed value).
 *
 * The collector's pace is the demand (see the top of this file for what `buffer()` and `conflate()` change):
 * one message is asked for at a time. The flow completes when the channel closes and throws the device's
 * [io.rptun.core.rpmsg.RpmsgException] when it stops; one collector at a time (a second concurrent one gets
 * ALREADY_RECEIVING). Once a collector stopped (cancelled, or an operator such as `take` had enough), messages
 * are dropped until the next one starts collecting.
 */
public fun <T : Any> RpmsgChannel.receiveAsFlow(read: (RpmsgMessage) -> T): Flow<T> =
    receive().map { read(it) }.pacedByCollector()

/** The remote's messages as a [Flow] of copies of their payloads: [receiveAsFlow] with `toByteArray()`. */
public fun RpmsgChannel.receiveAsFlow(): Flow<ByteArray> = receiveAsFlow(RpmsgMessage::toByteArray)

/**
 * The remote's name service as a [Flow] ([RpmsgReactive.announcements]): a CREATED event for every service
 * known when collection starts, then every change; it throws the device's error when the device stops.
 * Announcements are few: the Java side queues them for a slow collector.
 */
public fun RpmsgReactive.announcementsAsFlow(): Flow<NameServiceEvent> = announcements().pacedByCollector()

/**
 * The channel to [service] of every session of the link, as a [Flow] ([RptunReactive.channels]): one channel
 * per session, as soon as its remote serves [service]. A channel fails when its session ends (PEER_LOST,
 * DEVICE_CLOSED); catch that per channel and go on with the next one:
 * `link.channelsAsFlow("sensor").collect { ch -> runCatching { ch.receiveAsFlow { ... }.collect { ... } } }`.
 */
public fun RptunReactive.channelsAsFlow(service: String): Flow<RpmsgChannel> = channels(service).pacedByCollector()

/** The reactive layer of each session of the link, as a [Flow] ([RptunReactive.sessions]). */
public fun RptunReactive.sessionsAsFlow(): Flow<RpmsgReactive> = sessions().pacedByCollector()

/**
 * A publisher as a flow that requests one element at a time, when the collector is ready for it: a
 * rendezvous buffer, which kotlinx-coroutines-reactive turns into `request(1)` after each element emitted.
 */
internal fun <T : Any> Publisher<T>.pacedByCollector(): Flow<T> = asFlow().buffer(Channel.RENDEZVOUS)
