// BoundedStream: the httplib::Stream HttpServer hands to cpp-httplib's parser and router.
//
// Its read side is a request HttpServer has already received, bounded and validated in full, so
// cpp-httplib can never read past one request or wait on the network; its write side buffers
// small responses into one segment and sends through the connection's Transport under a total
// deadline.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include <httplib.h>

#include "api/http/transport.h"

namespace seedwell {

// BoundedStream serves |request| (borrowed; it must outlive the stream) to cpp-httplib and writes
// the response to |transport| (borrowed), each write finishing before |write_budget| has elapsed
// since the first.
class BoundedStream final : public httplib::Stream {
 public:
  BoundedStream(const std::string& request, Transport& transport, std::string peer_ip,
                int peer_port, std::string local_ip, int local_port,
                std::chrono::milliseconds write_budget);

  bool is_readable() const override { return position_ < request_.size(); }
  bool is_writable() const override { return !failed_; }
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  // socket returns -1: cpp-httplib must never touch the socket behind this stream.
  socket_t socket() const override { return -1; }

  // Flush sends any buffered response bytes; it returns false if the response could not be sent.
  bool Flush();
  // Status returns the status code of the response written so far, or 0 if none yet.
  int Status() const { return status_; }

 private:
  const std::string& request_;
  std::size_t position_ = 0;
  Transport& transport_;
  std::string peer_ip_;
  int peer_port_;
  std::string local_ip_;
  int local_port_;
  std::chrono::milliseconds write_budget_;
  std::chrono::steady_clock::time_point deadline_{};
  bool started_ = false;
  bool failed_ = false;
  int status_ = 0;
  std::string out_;
};

}  // namespace seedwell
