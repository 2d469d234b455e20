@file:JvmName("KotlinEcho")

package io.rptun.examples

import io.rptun.core.rpmsg.RpmsgLoopback
import io.rptun.reactive.RpmsgChannel
import io.rptun.reactive.RpmsgReactive
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.reactive.asFlow
import kotlinx.coroutines.reactor.awaitSingle
import kotlinx.coroutines.reactor.awaitSingleOrNull
import kotlinx.coroutines.runBlocking
import reactor.core.publisher.Mono

/*
 * The reactive rpmsg API from Kotlin coroutines: a host opens a channel to an echo service on the remote
 * (an in-process RpmsgLoopback), sends with a suspending function, and reads the replies as a Flow.
 */

/** Sends one message and suspends until it is on the TX ring: a suspending face for `sendBytes(..).then()`. */
suspend fun RpmsgChannel.send(payload: ByteArray) {
    sendBytes(Mono.just(payload)).then().awaitSingleOrNull()
}

/** What one run did: what was sent, what came back, and the RX buffers still held once the channel closed. */
data class EchoResult(val sent: List<String>, val received: List<String>, val heldAfterClose: Int)

/** Echoes [messages] through a loopback and returns what happened. */
fun runEcho(messages: List<String>): EchoResult = runBlocking {
    RpmsgLoopback.start(RpmsgLoopback.table(32, 256)).use { loop ->
        // The remote side: a plain core endpoint that answers each message with its payload.
        loop.remote().createEndpoint("echo") { ep, msg -> ep.send(msg.toByteArray()) }

        val rpmsg = RpmsgReactive.create(loop.host())
        try {
            val channel = rpmsg.open("echo").awaitSingle()
            // A message is valid inside onNext only, and asFlow() queues: turn it into a String first
            // (inside onNext). Subscribed before the first send, so no reply waits for a receiver.
            val replies = async(start = CoroutineStart.UNDISPATCHED) {
                channel.receive().map { it.asString() }.asFlow().take(messages.size).toList()
            }
            for (m in messages) {
                channel.send(m.encodeToByteArray())
            }
            val received = replies.await()
            channel.close().awaitSingleOrNull()
            EchoResult(messages, received, loop.host().heldRxBuffers())
        } finally {
            rpmsg.dispose()
        }
    }
}

fun main() {
    val result = runEcho(listOf("hello", "from", "kotlin"))
    for ((sent, received) in result.sent.zip(result.received)) {
        println("sent '$sent', echoed '$received'")
    }
    println("RX buffers still held after close: ${result.heldAfterClose}")
}
