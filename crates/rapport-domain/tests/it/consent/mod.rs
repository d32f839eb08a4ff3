//! Tests of the consent ledger's pure core: the policy file, the scenario
//! table and properties over random ledgers.

mod policy;
mod props;
mod scenarios;
