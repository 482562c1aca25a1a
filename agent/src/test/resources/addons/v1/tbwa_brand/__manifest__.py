# Test addon for the stand-in Odoo images (scripts/build-images); not a production module.
{
    'name': 'TBWA Brand',
    'version': '18.0.1.0.0',
    'summary': 'Test addon: TBWA branding',
    'license': 'LGPL-3',
    'depends': ['base', 'ipai_core'],
    'data': [],
    'installable': True,
}
