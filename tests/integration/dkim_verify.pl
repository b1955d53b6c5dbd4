#!/usr/bin/perl
# dkim_verify.pl - verifies the DKIM signatures of one message with Mail::DKIM, an independent
# implementation, asking the test's own DNS server for the keys.
#
# Usage: dkim_verify.pl DNS-PORT < message
# Prints one line per signature: "RESULT DOMAIN SELECTOR ALGORITHM [DETAIL]".
use strict;
use warnings;
use Mail::DKIM::Verifier;
use Net::DNS::Resolver;

my $port = shift @ARGV or die "usage: dkim_verify.pl DNS-PORT < message\n";
Mail::DKIM::DNS::resolver(Net::DNS::Resolver->new(
	nameservers => ['127.0.0.1'], port => $port, recurse => 1, udp_timeout => 5,
	tcp_timeout => 5, retry => 2));

binmode STDIN;
my $dkim = Mail::DKIM::Verifier->new();
while (<STDIN>) {
	s/\015?\012\z//;
	$dkim->PRINT("$_\015\012");
}
$dkim->CLOSE;
for my $sig ($dkim->signatures) {
	printf "%s %s %s %s %s\n", $sig->result, $sig->domain, $sig->selector, $sig->algorithm,
		$sig->result_detail // '';
}
