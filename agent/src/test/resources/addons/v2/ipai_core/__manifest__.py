# Test addon for the stand-in Odoo images (scripts/build-images); not a production module.
{
    'name': 'IPAI Core',
    'version': '18.0.1.1.0',
    'summary': 'Test addon: IPAI core',
    'license': 'LGPL-3',
    'depends': ['base'],
    'data': [],
    'installable': True,
}
