#include "api/egd/egd_protocol.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace seedwell {
namespace {

using Bytes = std::vector<std::uint8_t>;

// ParseAll feeds |stream| to a fresh parser in chunks of |chunk| bytes and collects every request;
// |*broken| is set when the parser reports an unknown command.
std::vector<EgdRequest> ParseAll(const Bytes& stream, std::size_t chunk, bool* broken,
                                 bool* inside = nullptr) {
  EgdParser parser;
  std::vector<EgdRequest> out;
  *broken = false;
  for (std::size_t at = 0; at < stream.size() && !*broken; at += chunk) {
    std::span<const std::uint8_t> in(stream.data() + at, std::min(chunk, stream.size() - at));
    for (int guard = 0; guard < 1000; ++guard) {
      EgdRequest r;
      const auto status = parser.Next(in, &r);
      if (status == EgdParser::Status::kRequest) {
        out.push_back(r);
        continue;
      }
      if (status == EgdParser::Status::kUnknownCommand) *broken = true;
      break;
    }
  }
  if (inside != nullptr) *inside = parser.InsideRequest();
  return out;
}

// kEveryCommand holds one request of each command, 0x03 with three data bytes.
const Bytes kEveryCommand = {0x00, 0x01, 0x10, 0x02, 0xff, 0x03, 0x01, 0x02, 0x03, 0xaa,
                             0xbb, 0xcc, 0x04, 0x03, 0x00, 0x00, 0x00, 0x02, 0x00};

void ExpectEveryCommand(const std::vector<EgdRequest>& got) {
  ASSERT_EQ(got.size(), 7u);
  EXPECT_EQ(got[0].command, EgdCommand::kEntropyAvailable);
  EXPECT_EQ(got[1].command, EgdCommand::kReadNonBlocking);
  EXPECT_EQ(got[1].count, 0x10);
  EXPECT_EQ(got[2].command, EgdCommand::kReadBlocking);
  EXPECT_EQ(got[2].count, 255);
  EXPECT_EQ(got[3].command, EgdCommand::kWriteEntropy);
  EXPECT_EQ(got[3].bits, 0x0102);
  EXPECT_EQ(got[3].count, 3);
  EXPECT_EQ(got[4].command, EgdCommand::kGetPid);
  EXPECT_EQ(got[5].command, EgdCommand::kWriteEntropy);  // zero-length write
  EXPECT_EQ(got[5].count, 0);
  EXPECT_EQ(got[6].command, EgdCommand::kReadBlocking);  // a read of zero bytes is legal
  EXPECT_EQ(got[6].count, 0);
}

TEST(EgdParserTest, PipelinedInOneChunk) {
  bool broken = false;
  ExpectEveryCommand(ParseAll(kEveryCommand, kEveryCommand.size(), &broken));
  EXPECT_FALSE(broken);
}

TEST(EgdParserTest, EveryChunkSizeGivesTheSameRequests) {
  for (std::size_t chunk = 1; chunk <= kEveryCommand.size(); ++chunk) {
    SCOPED_TRACE(chunk);
    bool broken = false;
    ExpectEveryCommand(ParseAll(kEveryCommand, chunk, &broken));
    EXPECT_FALSE(broken);
  }
}

TEST(EgdParserTest, EveryTruncationPointYieldsOnlyCompleteRequests) {
  // Request boundaries in kEveryCommand: after bytes 1, 3, 5, 12, 13, 17, 19 (the end).
  const std::array<std::size_t, 7> ends = {1, 3, 5, 12, 13, 17, 19};
  for (std::size_t cut = 0; cut <= kEveryCommand.size(); ++cut) {
    SCOPED_TRACE(cut);
    const Bytes prefix(kEveryCommand.begin(), kEveryCommand.begin() + static_cast<long>(cut));
    bool broken = false;
    bool inside = false;
    const auto got = ParseAll(prefix, 1, &broken, &inside);
    std::size_t complete = 0;
    bool on_boundary = cut == 0;
    for (std::size_t e : ends) {
      if (e <= cut) ++complete;
      if (e == cut) on_boundary = true;
    }
    EXPECT_FALSE(broken);
    EXPECT_EQ(got.size(), complete);
    EXPECT_EQ(inside, !on_boundary);
  }
}

TEST(EgdParserTest, UnknownCommandsStopTheStream) {
  for (int cmd = 0x05; cmd <= 0xff; ++cmd) {
    bool broken = false;
    const auto got = ParseAll({0x00, static_cast<std::uint8_t>(cmd), 0x00}, 1, &broken);
    EXPECT_TRUE(broken) << cmd;
    EXPECT_EQ(got.size(), 1u) << cmd;  // the request before it still counts
  }
}

TEST(EgdParserTest, UnknownCommandIsLeftUnconsumedAndSticky) {
  EgdParser parser;
  const Bytes bytes = {0x07, 0x00};
  std::span<const std::uint8_t> in(bytes);
  EgdRequest r;
  EXPECT_EQ(parser.Next(in, &r), EgdParser::Status::kUnknownCommand);
  EXPECT_EQ(in.size(), 2u);
  in = in.subspan(1);
  EXPECT_EQ(parser.Next(in, &r), EgdParser::Status::kUnknownCommand);
  std::span<const std::uint8_t> empty;
  EXPECT_EQ(parser.Next(empty, &r), EgdParser::Status::kUnknownCommand);
}

TEST(EgdParserTest, MaximalWriteEntropyIsSkippedWhole) {
  Bytes stream = {0x03, 0xff, 0xff, 0xff};
  stream.resize(4 + 255, 0x04);  // data bytes that look like get_pid must not be parsed as such
  stream.push_back(0x04);
  bool broken = false;
  const auto got = ParseAll(stream, 7, &broken);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].command, EgdCommand::kWriteEntropy);
  EXPECT_EQ(got[0].count, 255);
  EXPECT_EQ(got[0].bits, 0xffff);
  EXPECT_EQ(got[1].command, EgdCommand::kGetPid);
}

TEST(EgdParserTest, EmptyInputNeedsMore) {
  EgdParser parser;
  std::span<const std::uint8_t> in;
  EgdRequest r;
  EXPECT_EQ(parser.Next(in, &r), EgdParser::Status::kNeedMore);
  EXPECT_FALSE(parser.InsideRequest());
}

TEST(EgdEncodeTest, EntropyAvailableIsBigEndian) {
  std::array<std::uint8_t, 4> out{};
  EncodeEntropyAvailable(0x01020304, out);
  EXPECT_EQ(out, (std::array<std::uint8_t, 4>{1, 2, 3, 4}));
}

TEST(EgdEncodeTest, PidReply) {
  std::array<std::uint8_t, kEgdPidReplyMax> out{};
  ASSERT_EQ(EncodePidReply(0, out), 2u);
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[1], '0');
  ASSERT_EQ(EncodePidReply(4294967295u, out), 11u);
  EXPECT_EQ(out[0], 10);
  EXPECT_EQ(std::string(out.begin() + 1, out.end()), "4294967295");
  ASSERT_EQ(EncodePidReply(1234, out), 5u);
  EXPECT_EQ(std::string(out.begin() + 1, out.begin() + 5), "1234");
}

TEST(EgdEncodeTest, ReadBlockingRequestRoundTrips) {
  std::array<std::uint8_t, 2> req{};
  EncodeReadBlocking(64, req);
  EgdParser parser;
  std::span<const std::uint8_t> in(req);
  EgdRequest r;
  ASSERT_EQ(parser.Next(in, &r), EgdParser::Status::kRequest);
  EXPECT_EQ(r.command, EgdCommand::kReadBlocking);
  EXPECT_EQ(r.count, 64);
  EXPECT_TRUE(in.empty());
}

}  // namespace
}  // namespace seedwell
