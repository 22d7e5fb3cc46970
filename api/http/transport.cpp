#include "api/http/transport.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace seedwell {

namespace {

// TlsTransport runs an OpenSSL server session over the socket; SIGPIPE is blocked in every
// server thread, so a write to a closed peer fails with EPIPE instead of killing the process.
class TlsTransport final : public Transport {
 public:
  TlsTransport(int fd, SSL* ssl) : Transport(fd), ssl_(ssl) {}
  ~TlsTransport() override { SSL_free(ssl_); }
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  ssize_t Read(char* data, std::size_t size) override {
    std::size_t done = 0;
    if (SSL_read_ex(ssl_, data, size, &done) == 1) return static_cast<ssize_t>(done);
    return Classify(SSL_get_error(ssl_, 0), /*writing=*/false);
  }

  ssize_t Write(const char* data, std::size_t size) override {
    std::size_t done = 0;
    if (SSL_write_ex(ssl_, data, size, &done) == 1) return static_cast<ssize_t>(done);
    return Classify(SSL_get_error(ssl_, 0), /*writing=*/true);
  }

  void ShutdownWrite() override {
    SSL_shutdown(ssl_);  // best effort close_notify; the socket is non-blocking
    Transport::ShutdownWrite();
  }

  bool WantsReadToWrite() const override { return want_read_to_write_; }
  bool BuffersInput() const override { return true; }

 private:
  ssize_t Classify(int error, bool writing) {
    ERR_clear_error();
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      if (writing) want_read_to_write_ = error == SSL_ERROR_WANT_READ;
      return kWouldBlock;
    }
    if (error == SSL_ERROR_ZERO_RETURN) return 0;
    return -1;
  }

  SSL* ssl_;
  bool want_read_to_write_ = false;
};

}  // namespace

Transport::~Transport() { ::close(fd_); }

ssize_t Transport::Read(char* data, std::size_t size) {
  const ssize_t n = ::recv(fd_, data, size, 0);
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? kWouldBlock : -1;
  return n;
}

ssize_t Transport::Write(const char* data, std::size_t size) {
  const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? kWouldBlock : -1;
  return n;
}

void Transport::ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

Result<std::shared_ptr<TlsContext>> TlsContext::Load(const std::string& cert_file,
                                                     const std::string& key_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Fail(ErrorCode::kInternal, "cannot create a TLS context");
  std::shared_ptr<TlsContext> holder(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    ERR_clear_error();
    return Fail(ErrorCode::kInvalidArgument, "cannot load TLS certificate chain " + cert_file);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return Fail(ErrorCode::kInvalidArgument,
                "cannot load a TLS key matching the certificate from " + key_file);
  }
  return holder;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

std::unique_ptr<Transport> TlsContext::NewTransport(int fd) {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    ::close(fd);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return std::make_unique<TlsTransport>(fd, ssl);
}

}  // namespace seedwell
