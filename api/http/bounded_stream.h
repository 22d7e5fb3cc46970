// BoundedStream: the httplib::Stream HttpServer hands to cpp-httplib's parser and router.
//
// Its read side is a request HttpServer has already received, bounded and validated in full, so
// cpp-httplib can never read past one request or wait on the network. Its write side only appends
// the response to a buffer: a worker thread never touches the socket through it, so a client that
// does not read can never hold a worker (the connection sends the buffer without blocking, and the
// event loop finishes what the socket did not take; see HttpConnection).
#pragma once

#include <cstddef>
#include <string>

#include <httplib.h>

namespace seedwell {

// BoundedStream serves |request| (borrowed; it must outlive the stream) to cpp-httplib and
// appends the response to |out| (borrowed).
class BoundedStream final : public httplib::Stream {
 public:
  BoundedStream(const std::string& request, std::string& out, const std::string& peer_ip,
                int peer_port, const std::string& local_ip, int local_port);

  bool is_readable() const override { return position_ < request_.size(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  // socket returns -1: cpp-httplib must never touch the socket behind this stream.
  socket_t socket() const override { return -1; }

  // Status returns the status code of the response written so far, or 0 if none yet.
  int Status() const { return status_; }

 private:
  const std::string& request_;
  std::size_t position_ = 0;
  std::string& out_;
  std::size_t out_start_;  // where this response begins in |out_|
  const std::string& peer_ip_;
  int peer_port_;
  const std::string& local_ip_;
  int local_port_;
  int status_ = 0;
};

}  // namespace seedwell
