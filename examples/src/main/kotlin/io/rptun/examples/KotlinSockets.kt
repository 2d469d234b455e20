@file:JvmName("KotlinSockets")

package io.rptun.examples

import io.rptun.core.loopback.RpmsgLoopback
import io.rptun.reactive.socket.SocketClient
import io.rptun.reactive.socket.SocketConnection
import io.rptun.reactive.socket.SocketServer
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.fold
import kotlinx.coroutines.reactive.asFlow
import kotlinx.coroutines.reactor.awaitSingle
import kotlinx.coroutines.reactor.awaitSingleOrNull
import kotlinx.coroutines.runBlocking
import reactor.core.publisher.Mono

/*
 * rpmsg sockets from Kotlin coroutines: a connection's input as a Flow (collecting it is the demand, and the
 * demand is the peer's credit), suspending sends, a suspending connect.
 */

/** The connection's input as a Flow of stream chunks (or datagrams); ends at the peer's end of stream. */
fun SocketConnection.receiveFlow(): Flow<ByteArray> = inbound().receive().asFlow()

/** Writes [data] (a stream's bytes, or one datagram) and suspends until it is on the TX ring. */
suspend fun SocketConnection.send(data: ByteArray) {
    outbound().send(Mono.just(data)).awaitSingleOrNull()
}

/** Shuts our output down (the peer's input ends) and suspends until the SHUTDOWN is sent. */
suspend fun SocketConnection.shutdownOutputAwait() {
    outbound().shutdownOutput().awaitSingleOrNull()
}

/** Connects and suspends until the peer's SYNC arrived. */
suspend fun SocketClient.connectAwait(): SocketConnection = connect().awaitSingle()

/** Echoes [lines] through a socket over an in-process loopback and returns what came back, joined. */
fun runSocketEcho(lines: List<String>): String = runBlocking {
    RpmsgLoopback.start(RpmsgLoopback.table(64, 512)).use { loop ->
        val server = SocketServer.create(loop.host()).name("kecho")
            .handle { inbound, outbound -> outbound.send(inbound.receive()) }
            .bindNow()
        try {
            val connection = SocketClient.create(loop.remote()).name("kecho").connectAwait()
            // Reading while writing, as with TCP: an echo nobody reads stalls the writer at the window.
            val echoed = async(start = CoroutineStart.UNDISPATCHED) {
                connection.receiveFlow().fold(StringBuilder()) { acc, chunk -> acc.append(chunk.decodeToString()) }
            }
            for (line in lines) {
                connection.send((line + "\n").encodeToByteArray())
            }
            connection.shutdownOutputAwait()
            val result = echoed.await().toString()
            connection.dispose()
            result
        } finally {
            server.dispose()
        }
    }
}
