// Transport: the byte pipe of one accepted connection, plain TCP or TLS (OpenSSL 3), on a
// non-blocking socket. HttpServer reads requests through it on its event loop and writes
// responses through it on a worker, never both at once.
#pragma once

#include <chrono>
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
  // WriteAll writes all |size| bytes, waiting for the socket as needed until |deadline|; it
  // returns false on error or when the deadline passes.
  bool WriteAll(const char* data, std::size_t size, std::chrono::steady_clock::time_point deadline);
  // ShutdownWrite sends a FIN (after a TLS close_notify) so the peer sees the response end.
  virtual void ShutdownWrite();
  int fd() const { return fd_; }

 protected:
  // WantsReadToWrite reports whether the last kWouldBlock from Write waits for readability (TLS).
  virtual bool WantsReadToWrite() const { return false; }

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
