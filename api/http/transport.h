// Transport: the byte pipe of one accepted connection, plain TCP or TLS (OpenSSL 3), on a
// non-blocking socket. Nothing here ever waits: HttpServer reads and writes through it from its
// event loop (and a worker makes one non-blocking attempt to send a response it just produced),
// never two threads at once.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <sys/types.h>

#include "crypto/result.h"

struct ssl_ctx_st;
struct ssl_st;

namespace seedwell {

// kWouldBlock is what Transport::Read and Write return when the socket is not ready.
inline constexpr ssize_t kWouldBlock = -2;

// Transport owns a connected, non-blocking socket (and its TLS session, if any) and closes it on
// destruction.
class Transport {
 public:
  explicit Transport(int fd) : fd_(fd) {}
  virtual ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Read reads up to |size| bytes: the count, 0 at end of stream, kWouldBlock, or -1 on error.
  virtual ssize_t Read(char* data, std::size_t size);
  // Write writes up to |size| bytes: the count, kWouldBlock, or -1 on error.
  virtual ssize_t Write(const char* data, std::size_t size);
  // ShutdownWrite sends a FIN (after a TLS close_notify) so the peer sees the response end.
  virtual void ShutdownWrite();
  int fd() const { return fd_; }
  // WantsReadToWrite reports whether the last kWouldBlock from Write waits for the socket to be
  // readable rather than writable (a TLS session mid-handshake or key update).
  virtual bool WantsReadToWrite() const { return false; }
  // BuffersInput reports whether the transport may hold input the socket no longer signals (TLS
  // records already decrypted), so a short read does not prove the socket drained.
  virtual bool BuffersInput() const { return false; }

 private:
  int fd_;
};

// TlsContext holds a server certificate chain and private key for TLS listeners.
class TlsContext {
 public:
  // Load reads the PEM |cert_file| (chain) and |key_file| and checks they match; on failure it
  // returns kInvalidArgument naming the file (never the key's bytes).
  static Result<std::shared_ptr<TlsContext>> Load(const std::string& cert_file,
                                                  const std::string& key_file);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // NewTransport wraps the accepted socket |fd| in a server-side TLS session (handshake happens
  // on first Read). It takes ownership of |fd| even on failure, returning nullptr then.
  std::unique_ptr<Transport> NewTransport(int fd);

 private:
  explicit TlsContext(ssl_ctx_st* ctx) : ctx_(ctx) {}
  ssl_ctx_st* ctx_;
};

}  // namespace seedwell
